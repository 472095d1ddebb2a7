/**
 * The HTTP/WebSocket gateway (broker/README.md#http-gateway) on a real broker, for the memory and
 * PostgreSQL stores: every route, its error statuses and JSON bodies, SSE replay and resume, binary
 * bodies, WebSocket subscribe, publish and consume with acks, the stream limit, CORS and
 * authentication, each against what the gRPC client sees of the same broker.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { until } from "../../testing/until.ts";
import type { HeraldClient } from "../client/herald-client.ts";
import { tokenSha256 } from "../../contract/auth-file.ts";
import { startTestBroker, type TestBroker, uniqueSubject } from "../test/harness.ts";
import { brokerTestStores } from "../test/test-stores.ts";
import {
  openEvents,
  openSocket,
  refusedUpgrade,
  startTestGateway,
  type TestGateway,
} from "./test/web-client.ts";

const publish = async (
  gateway: TestGateway,
  subject: string,
  body: string | Buffer,
  query = "",
) => {
  const response = await fetch(
    `${gateway.url}/v1/subjects/${encodeURIComponent(subject)}/messages${query}`,
    { method: "POST", body },
  );
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};
const get = (gateway: TestGateway, path: string, init?: RequestInit) =>
  fetch(`${gateway.url}${path}`, init);
const errorOf = async (response: Response) => ({
  status: response.status,
  type: response.headers.get("content-type"),
  body: (await response.json()) as { code: string; message: string },
});
const messagePath = (subject: string, id: number | string) =>
  `/v1/subjects/${encodeURIComponent(subject)}/messages/${id}`;
const eventsUrl = (gateway: TestGateway, subject: string, query = "") =>
  `${gateway.url}/v1/subjects/${encodeURIComponent(subject)}/events${query}`;

describe.each(["memory", "postgres"] as const)("web gateway on the %s store", (kind) => {
  const stores = brokerTestStores(inject("testEnv"), kind, "herald_web");
  let broker: TestBroker;
  let client: HeraldClient;
  let gateway: TestGateway;

  beforeAll(async () => {
    broker = await startTestBroker(stores.newStore());
    client = broker.client();
    gateway = await startTestGateway(broker.broker, { corsOrigins: ["https://console.example"] });
  });

  afterAll(async () => {
    await gateway?.gateway.close();
    await broker?.stop();
    await stores.drop();
  });

  it("publishes with 201 {id} and fetches the body with 200; gRPC sees the same messages", async () => {
    const subject = uniqueSubject("web.publish");
    const first = await publish(gateway, subject, "hello");
    expect(first).toEqual({ status: 201, json: { id: 1 } });
    expect((await client.fetch(subject, 1)).body.toString("utf8")).toBe("hello");
    const viaGrpc = await client.publish(subject, "from grpc");
    const fetched = await get(gateway, messagePath(subject, viaGrpc));
    expect(fetched.status).toBe(200);
    expect(await fetched.text()).toBe("from grpc");
  });

  it("answers a repeated Idempotency-Key (or WebSocket key) with the original id, storing it once", async () => {
    const subject = uniqueSubject("web.keyed");
    const keyed = (key: string, body: string) =>
      fetch(`${gateway.url}/v1/subjects/${encodeURIComponent(subject)}/messages`, {
        method: "POST",
        body,
        headers: { "idempotency-key": key },
      }).then(async (response) => ({ status: response.status, json: await response.json() }));
    expect(await keyed("k1", "once")).toEqual({ status: 201, json: { id: 1 } });
    expect(await keyed("k1", "once")).toEqual({ status: 201, json: { id: 1 } });
    expect(await client.publish(subject, "once", { idempotencyKey: "k1" })).toBe(1);
    const socket = await openSocket(`${gateway.url.replace("http", "ws")}/v1/ws`);
    socket.send({ op: "publish", ref: "r1", subject, body: "once", key: "k1" });
    expect(await socket.next()).toEqual({ op: "published", ref: "r1", id: 1 });
    await socket.close();
    expect(await keyed("k2", "twice")).toEqual({ status: 201, json: { id: 2 } });
    expect(await client.publish(subject, "unkeyed")).toBe(3);
  });

  it("answers 404 for an unknown id and 410 for an expired one, with a JSON error", async () => {
    const subject = uniqueSubject("web.missing");
    expect(await errorOf(await get(gateway, messagePath(subject, 7)))).toEqual({
      status: 404,
      type: "application/json",
      body: { code: "INVALID_ARGUMENT", message: expect.stringMatching(/unknown id 7/) as string },
    });
    const { json } = await publish(gateway, subject, "short-lived", "?ttl=1");
    const expired = await until(
      "the message to expire",
      async () => {
        const response = await get(gateway, messagePath(subject, Number(json.id)));
        return response.status === 410 ? errorOf(response) : (await response.body?.cancel(), false);
      },
      { timeoutMs: 5000 },
    );
    expect(expired.body.message).toMatch(/has expired/);
  });

  it("refuses malformed requests with a 4xx JSON error and stores nothing", async () => {
    const subject = uniqueSubject("web.bad");
    const cases: [string, RequestInit | undefined, number][] = [
      [messagePath(subject, "abc"), undefined, 400],
      [messagePath(subject, 0), undefined, 400],
      [messagePath(subject, "99999999999"), undefined, 400],
      [
        `/v1/subjects/${encodeURIComponent(subject)}/messages?ttl=-1`,
        { method: "POST", body: "x" },
        400,
      ],
      [
        `/v1/subjects/${encodeURIComponent(subject)}/messages?ttl=soon`,
        { method: "POST", body: "x" },
        400,
      ],
      [`/v1/subjects/%E0%A4%A/messages`, { method: "POST", body: "x" }, 400],
      [`/v1/subjects/${encodeURIComponent(subject)}/messages`, undefined, 405],
      [messagePath(subject, 1), { method: "DELETE" }, 405],
      [`/v1/subjects/${encodeURIComponent(subject)}/events?from=x`, undefined, 400],
      ["/v1/ws", undefined, 400],
      ["/v2/anything", undefined, 404],
      ["/", undefined, 404],
    ];
    for (const [path, init, expected] of cases) {
      const { status, type, body } = await errorOf(await get(gateway, path, init));
      expect({ path, status, type }).toEqual({ path, status: expected, type: "application/json" });
      expect(body.message.length).toBeGreaterThan(0);
    }
    // The subject is checked as gRPC checks it: with a control character it is INVALID_ARGUMENT.
    expect((await publish(gateway, "bad\u0001subject", "x")).status).toBe(400);
    expect((await publish(gateway, subject, "kept")).json).toEqual({ id: 1 });
  });

  it("refuses a body over the message limit with 413", async () => {
    const subject = uniqueSubject("web.large");
    const { status, json } = await publish(gateway, subject, Buffer.alloc(64 * 1024 + 1));
    expect(status).toBe(413);
    expect(json).toEqual({
      code: "RESOURCE_EXHAUSTED",
      message: expect.stringMatching(/limit is 65536/) as string,
    });
    expect((await publish(gateway, subject, Buffer.alloc(64 * 1024))).json).toEqual({ id: 1 });
  });

  it("keeps binary bodies byte for byte: fetch, SSE `event: binary` in base64, WebSocket base64", async () => {
    const subject = uniqueSubject("web.binary");
    const body = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), randomBytes(64)]);
    expect((await publish(gateway, subject, body)).json).toEqual({ id: 1 });
    const fetched = await get(gateway, messagePath(subject, 1));
    expect(Buffer.from(await fetched.arrayBuffer())).toEqual(body);
    expect((await client.fetch(subject, 1)).body).toEqual(body);
    const events = await openEvents(eventsUrl(gateway, subject, "?from=1"));
    const [event] = await events.take(1);
    events.close();
    expect(event).toEqual({ event: "binary", id: "1", data: body.toString("base64") });
    const socket = await openSocket(`${gateway.url.replace("http", "ws")}/v1/ws`);
    socket.send({ op: "subscribe", sub: "b", subject, from: 1 });
    const message = await socket.next((frame) => frame.op === "message");
    expect(message).toMatchObject({ sub: "b", id: 1, encoding: "base64" });
    expect(Buffer.from(String(message.body), "base64")).toEqual(body);
    await socket.close();
  });

  it("streams events from ?from=ID, then live, one per message with id and data", async () => {
    const subject = uniqueSubject("web.events");
    for (const body of ["one", "two\nlines", "three"]) await publish(gateway, subject, body);
    const events = await openEvents(eventsUrl(gateway, subject, "?from=2"));
    expect(events.status).toBe(200);
    expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(await events.take(2)).toEqual([
      { event: "message", id: "2", data: "two\nlines" },
      { event: "message", id: "3", data: "three" },
    ]);
    await client.publish(subject, "four");
    expect(await events.next()).toEqual({ event: "message", id: "4", data: "four" });
    events.close();
  });

  it("resumes after Last-Event-ID with no gap and no duplicate", async () => {
    const subject = uniqueSubject("web.resume");
    for (let i = 1; i <= 3; i++) await publish(gateway, subject, `m${i}`);
    const first = await openEvents(eventsUrl(gateway, subject, "?from=1"));
    const seen = await first.take(2);
    first.close();
    // Published while the client is away, and live after it is back.
    for (let i = 4; i <= 6; i++) await client.publish(subject, `m${i}`);
    const resumed = await openEvents(eventsUrl(gateway, subject, "?from=1"), {
      "last-event-id": seen.at(-1)?.id ?? "",
    });
    seen.push(...(await resumed.take(4)));
    await publish(gateway, subject, "m7");
    seen.push(await resumed.next());
    resumed.close();
    expect(seen.map((event) => event.id)).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
    expect(seen.map((event) => event.data)).toEqual(["m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
  });

  it("streams a pattern live, each event's id naming its subject", async () => {
    const prefix = uniqueSubject("web.pattern");
    const events = await openEvents(eventsUrl(gateway, `${prefix}.*`));
    await publish(gateway, `${prefix}.a`, "a1");
    await publish(gateway, `${prefix}.b`, "b1");
    expect(await events.take(2)).toEqual([
      { event: "message", id: `${prefix}.a#1`, data: "a1" },
      { event: "message", id: `${prefix}.b#1`, data: "b1" },
    ]);
    events.close();
    const refused = await openEvents(eventsUrl(gateway, `${prefix}.*`, "?from=1"));
    expect(refused.status).toBe(400);
  });

  it("subscribes and publishes over a WebSocket, and answers a bad frame without closing", async () => {
    const subject = uniqueSubject("web.ws");
    const socket = await openSocket(`${gateway.url.replace("http", "ws")}/v1/ws`);
    socket.send({ op: "subscribe", sub: "s", subject });
    expect(await socket.next()).toEqual({ op: "subscribed", sub: "s" });
    socket.send("{not json");
    expect(await socket.next()).toMatchObject({
      op: "error",
      status: 400,
      code: "INVALID_ARGUMENT",
    });
    socket.send({ op: "publish", ref: "r0", subject, body: "x", ttl: -1 });
    expect(await socket.next()).toMatchObject({ op: "error", status: 400, message: /ttl/ });
    socket.send({ op: "publish", ref: "r1", subject, body: "hello" });
    socket.send({ op: "publish", ref: "r2", subject: "", body: "refused" });
    socket.send({ op: "publish", ref: "r3", subject, body: "world", ttl: 60 });
    expect(await socket.next((frame) => frame.ref === "r1")).toEqual({
      op: "published",
      ref: "r1",
      id: 1,
    });
    expect(await socket.next((frame) => frame.ref === "r2")).toMatchObject({
      op: "error",
      status: 400,
    });
    expect(await socket.next((frame) => frame.ref === "r3")).toEqual({
      op: "published",
      ref: "r3",
      id: 2,
    });
    const messages = [
      await socket.next((frame) => frame.op === "message"),
      await socket.next((frame) => frame.op === "message"),
    ];
    expect(messages).toEqual([
      { op: "message", sub: "s", subject, id: 1, body: "hello", encoding: "utf8" },
      { op: "message", sub: "s", subject, id: 2, body: "world", encoding: "utf8" },
    ]);
    expect((await client.fetch(subject, 2)).body.toString("utf8")).toBe("world");
    socket.send({ op: "unsubscribe", sub: "s" });
    expect(await socket.next()).toEqual({ op: "ended", sub: "s" });
    await socket.close();
  });

  it("consumes a group over a WebSocket with acks: a NAK is redelivered, an ack is not", async () => {
    const subject = uniqueSubject("web.consume");
    const socket = await openSocket(`${gateway.url.replace("http", "ws")}/v1/ws`);
    socket.send({ op: "consume", sub: "c", group: "web-workers", subject, ackWaitMs: 60_000 });
    expect(await socket.next()).toEqual({ op: "joined", sub: "c" });
    await publish(gateway, subject, "job-1");
    await publish(gateway, subject, "job-2");
    const delivered = (body: string, attempt: number) => (frame: Record<string, unknown>) =>
      frame.op === "delivery" && frame.body === body && frame.attempt === attempt;
    const one = await socket.next(delivered("job-1", 1));
    const two = await socket.next(delivered("job-2", 1));
    socket.send({ op: "ack", sub: "c", subject, id: one.id, attempt: 1, kind: "ack" });
    socket.send({ op: "ack", sub: "c", subject, id: two.id, attempt: 1, kind: "nak" });
    expect(await socket.next(delivered("job-2", 2))).toMatchObject({
      sub: "c",
      subject,
      id: two.id,
    });
    socket.send({ op: "ack", sub: "c", subject, id: two.id, attempt: 2 });
    socket.send({ op: "ack", sub: "nobody", subject, id: 1, attempt: 1 });
    expect(await socket.next((frame) => frame.op === "error")).toMatchObject({
      sub: "nobody",
      status: 400,
    });
    await publish(gateway, subject, "job-3");
    expect(await socket.next((frame) => frame.op === "delivery")).toMatchObject({
      body: "job-3",
      attempt: 1,
    });
    await socket.close();
  });

  it("answers a CORS preflight for a listed origin only", async () => {
    const preflight = (origin: string) =>
      get(gateway, "/v1/subjects/x/messages", {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization",
        },
      });
    const allowed = await preflight("https://console.example");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://console.example");
    expect(allowed.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    expect(allowed.headers.get("access-control-allow-headers")).toMatch(/idempotency-key/);
    expect(allowed.headers.get("access-control-allow-methods")).toMatch(/POST/);
    const foreign = await preflight("https://elsewhere.example");
    expect(foreign.status).toBe(204);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    const fetched = await get(gateway, messagePath(uniqueSubject("web.cors"), 1), {
      headers: { origin: "https://console.example" },
    });
    expect(fetched.headers.get("access-control-allow-origin")).toBe("https://console.example");
    await fetched.body?.cancel();
    const ws = `${gateway.url.replace("http", "ws")}/v1/ws`;
    expect(await refusedUpgrade(ws, { origin: "https://elsewhere.example" })).toBe(403);
  });
});

describe("web gateway limits", () => {
  let broker: TestBroker;
  let gateway: TestGateway;

  beforeAll(async () => {
    broker = await startTestBroker(
      brokerTestStores(inject("testEnv"), "memory", "web").newStore(),
      {
        subscriberBufferSize: 8,
      },
    );
    gateway = await startTestGateway(broker.broker, { maxStreams: 2 });
  });

  afterAll(async () => {
    await gateway?.gateway.close();
    await broker?.stop();
  });

  it("refuses streams past HERALD_WEB_MAX_STREAMS with 503 and frees slots when they close", async () => {
    const subject = uniqueSubject("web.limit");
    const first = await openEvents(eventsUrl(gateway, subject));
    const socket = await openSocket(`${gateway.url.replace("http", "ws")}/v1/ws`);
    const third = await openEvents(eventsUrl(gateway, subject));
    expect(third.status).toBe(503);
    expect(third.refusal).toEqual({
      code: "UNAVAILABLE",
      message: expect.stringMatching(/HERALD_WEB_MAX_STREAMS/) as string,
    });
    expect(await refusedUpgrade(`${gateway.url.replace("http", "ws")}/v1/ws`)).toBe(503);
    first.close();
    await socket.close();
    await until("the slots to be released", () => gateway.gateway.openStreams() === 0, {
      timeoutMs: 5000,
    });
    const again = await openEvents(eventsUrl(gateway, subject));
    expect(again.status).toBe(200);
    again.close();
  });

  it("counts each subscription on a WebSocket against HERALD_WEB_MAX_STREAMS", async () => {
    const subject = uniqueSubject("web.limit.ws");
    const socket = await openSocket(`${gateway.url.replace("http", "ws")}/v1/ws`);
    socket.send({ op: "subscribe", sub: "one", subject });
    expect(await socket.next()).toEqual({ op: "subscribed", sub: "one" });
    socket.send({ op: "subscribe", sub: "two", subject });
    expect(await socket.next()).toMatchObject({ op: "error", sub: "two", status: 503 });
    socket.send({ op: "unsubscribe", sub: "one" });
    expect(await socket.next()).toEqual({ op: "ended", sub: "one" });
    socket.send({ op: "subscribe", sub: "two", subject });
    expect(await socket.next()).toEqual({ op: "subscribed", sub: "two" });
    await socket.close();
    await until("the slots to be released", () => gateway.gateway.openStreams() === 0, {
      timeoutMs: 5000,
    });
  });

  it("cuts off an SSE client that does not read with an error event naming where to resume", async () => {
    const subject = uniqueSubject("web.slow");
    const stalled = await openEvents(eventsUrl(gateway, subject));
    // Far more than the socket buffers and the subscriber's 8 queued messages hold.
    const body = "x".repeat(60 * 1024);
    for (let i = 0; i < 300; i++) await broker.client().publish(subject, body);
    let event = await stalled.next();
    while (event.event !== "error") event = await stalled.next();
    expect(JSON.parse(event.data)).toEqual({
      code: "RESOURCE_EXHAUSTED",
      message: expect.stringMatching(
        /fell more than 8 messages behind; resubscribe with start_id \d+/,
      ) as string,
    });
    await expect(stalled.next()).rejects.toThrow(/ended/);
    await until("the slot to be released", () => gateway.gateway.openStreams() === 0, {
      timeoutMs: 5000,
    });
  });
});

describe("web gateway authentication", () => {
  const token = "web-writer-token";
  let broker: TestBroker;
  let gateway: TestGateway;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "herald-web-auth-"));
    const authFile = join(dir, "auth.yaml");
    const allowed = ["web.allowed.>"];
    writeFileSync(
      authFile,
      stringify({
        users: [
          {
            name: "web-writer",
            tokenSha256: tokenSha256(token),
            permissions: { publish: allowed, fetch: allowed, subscribe: allowed },
          },
        ],
      }),
    );
    broker = await startTestBroker(
      brokerTestStores(inject("testEnv"), "memory", "web").newStore(),
      {
        security: { tls: undefined, authFile, jwt: undefined, reloadIntervalMs: 2000 },
      },
    );
    gateway = await startTestGateway(broker.broker);
  });

  afterAll(async () => {
    await gateway?.gateway.close();
    await broker?.stop();
  });

  it("takes the bearer token and permissions of gRPC on every route: 401 without, 403 outside them", async () => {
    const allowed = uniqueSubject("web.allowed.s");
    const denied = uniqueSubject("web.denied.s");
    const auth = { authorization: `Bearer ${token}` };
    const post = (subject: string, headers: Record<string, string>) =>
      get(gateway, `/v1/subjects/${subject}/messages`, { method: "POST", body: "x", headers });
    expect(await errorOf(await post(allowed, {}))).toMatchObject({
      status: 401,
      body: { code: "UNAUTHENTICATED" },
    });
    expect((await errorOf(await post(allowed, { authorization: "Bearer wrong" }))).status).toBe(
      401,
    );
    expect(await errorOf(await post(denied, auth))).toMatchObject({
      status: 403,
      body: { code: "PERMISSION_DENIED", message: `web-writer may not publish "${denied}"` },
    });
    const created = await post(allowed, auth);
    expect(created.status).toBe(201);
    expect((await get(gateway, messagePath(allowed, 1), { headers: auth })).status).toBe(200);
    expect(
      (await errorOf(await get(gateway, messagePath(denied, 1), { headers: auth }))).status,
    ).toBe(403);
    expect((await errorOf(await get(gateway, messagePath(allowed, 1)))).status).toBe(401);
    // Browsers cannot set headers on EventSource and WebSocket: ?access_token= stands in.
    const events = await openEvents(eventsUrl(gateway, allowed, `?from=1&access_token=${token}`));
    expect(await events.next()).toMatchObject({ id: "1", data: "x" });
    events.close();
    const refused = await openEvents(eventsUrl(gateway, denied, `?access_token=${token}`));
    expect(refused.status).toBe(403);
    const socket = await openSocket(
      `${gateway.url.replace("http", "ws")}/v1/ws?access_token=${token}`,
    );
    socket.send({ op: "publish", ref: "ok", subject: allowed, body: "y" });
    socket.send({ op: "publish", ref: "no", subject: denied, body: "y" });
    socket.send({ op: "subscribe", sub: "no", subject: denied });
    expect(await socket.next((frame) => frame.ref === "ok")).toEqual({
      op: "published",
      ref: "ok",
      id: 2,
    });
    expect(await socket.next((frame) => frame.ref === "no")).toMatchObject({
      status: 403,
      code: "PERMISSION_DENIED",
    });
    expect(await socket.next((frame) => frame.sub === "no")).toMatchObject({
      op: "error",
      status: 403,
    });
    await socket.close();
    const anonymous = await openSocket(`${gateway.url.replace("http", "ws")}/v1/ws`);
    anonymous.send({ op: "publish", ref: "anon", subject: allowed, body: "z" });
    expect(await anonymous.next()).toMatchObject({
      ref: "anon",
      status: 401,
      code: "UNAUTHENTICATED",
    });
    await anonymous.close();
  });
});

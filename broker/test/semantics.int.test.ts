/**
 * Broker-level semantic conformance (broker/README.md): one suite, run against a real
 * broker over real gRPC for every store. Each semantic is checked through the
 * public client, so these are the guarantees a user gets.
 */
import { randomBytes } from "node:crypto";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { HeraldClient, ReceivedMessage, SubscribeOptions } from "../client/herald-client.ts";
import {
  collect,
  expectStatus,
  expectStoredAfterReopen,
  failureOf,
  range,
  SwitchableStore,
} from "./expectations.ts";
import { checkHealth, listServicesByReflection, sendRawFrame } from "./grpc-probes.ts";
import { defaultTestSettings, startTestBroker, type TestBroker, uniqueSubject } from "./harness.ts";
import { brokerTestStores, storeKinds } from "./test-stores.ts";
import { plaintext, tlsWithToken } from "./transports.ts";
import type { BrokerSettings } from "../broker.ts";
import type { MessageStore } from "../store/message-store.ts";
import { until } from "../../testing/until.ts";

const text = (message: ReceivedMessage) => message.body.toString("utf8");

const cases = [plaintext, tlsWithToken()].flatMap((transport) =>
  storeKinds.map((kind) => [kind, transport.name, transport] as const),
);

describe.each(cases)("broker semantics on the %s store over %s", (kind, _name, transport) => {
  const stores = brokerTestStores(inject("testEnv"), kind, "herald_semantics");
  const newStore = () => stores.newStore();
  let broker: TestBroker;
  let client: HeraldClient;
  /**
   * A broker of this case's transport (TLS and a token, or plaintext). Its clients publish once, so
   * each test sees the broker's own answer rather than the client's repeats.
   */
  const startBroker = (store: MessageStore, overrides: Partial<BrokerSettings> = {}) =>
    startTestBroker(
      store,
      { ...transport.settings, ...overrides },
      { ...transport.client, publishAttempts: 1 },
    );

  beforeAll(async () => {
    broker = await startBroker(newStore());
    client = broker.client();
  });

  afterAll(async () => {
    await broker?.stop();
    await stores.drop();
  });

  it("assigns increasing ids per subject and fetches bodies by id", async () => {
    const a = uniqueSubject("ids.a");
    const b = uniqueSubject("ids.b");
    const idsA: number[] = [];
    for (let i = 0; i < 5; i += 1) idsA.push(await client.publish(a, `a${i}`));
    const idB = await client.publish(b, "b0");
    expect(idsA).toEqual([...idsA].sort((x, y) => x - y));
    expect(new Set(idsA).size).toBe(5);
    expect(idB).toBeGreaterThan(0);
    for (const [index, id] of idsA.entries()) {
      const fetched = await client.fetch(a, id);
      expect(fetched.id).toBe(id);
      expect(text(fetched)).toBe(`a${index}`);
    }
    expect(text(await client.fetch(b, idB))).toBe("b0");
  });

  it("gives 2,000 concurrent publishes over 20 subjects unique consecutive ids per subject", async () => {
    const subjects = range(1, 20).map((n) => uniqueSubject(`load${n}`));
    const clients = range(1, 8).map(() => broker.client());
    const results = await Promise.all(
      range(0, 1999).map(async (n) => {
        const subject = subjects[n % subjects.length] ?? "";
        const id = await (clients[n % clients.length] as HeraldClient).publish(subject, `m${n}`);
        return { subject, id, body: `m${n}` };
      }),
    );
    for (const subject of subjects) {
      const ids = results.filter((r) => r.subject === subject).map((r) => r.id);
      expect(ids.sort((x, y) => x - y)).toEqual(range(1, 100));
    }
    const sample = results.filter((_, index) => index % 50 === 0);
    for (const { subject, id, body } of sample)
      expect(text(await client.fetch(subject, id))).toBe(body);
  });

  it("fans out every message, in order, to every subscriber of its subject and no other", async () => {
    const a = uniqueSubject("fan.a");
    const b = uniqueSubject("fan.b");
    const subscribersA = range(1, 3).map(() => collect(broker.client(), a, 60));
    const subscriberB = collect(client, b, 40);
    await Promise.all([...subscribersA, subscriberB].map((s) => s.subscribed));
    const published = await Promise.all([
      ...range(1, 60).map((n) => client.publish(a, `a${n}`)),
      ...range(1, 40).map((n) => client.publish(b, `b${n}`)),
    ]);
    const idsA = published.slice(0, 60).sort((x, y) => x - y);
    for (const subscriber of subscribersA) {
      const received = await subscriber.messages;
      expect(received.map((m) => m.id)).toEqual(idsA);
      expect(received.every((m) => text(m).startsWith("a"))).toBe(true);
    }
    const receivedB = await subscriberB.messages;
    expect(receivedB.map((m) => m.id)).toEqual(published.slice(60).sort((x, y) => x - y));
    expect(receivedB.every((m) => text(m).startsWith("b"))).toBe(true);
  });

  it("delivers one message to each of 200 concurrent subscribers", async () => {
    const subject = uniqueSubject("crowd");
    const clients = range(1, 4).map(() => broker.client());
    const subscribers = range(0, 199).map((n) =>
      collect(clients[n % 4] as HeraldClient, subject, 1),
    );
    await Promise.all(subscribers.map((s) => s.subscribed));
    const id = await client.publish(subject, "hello, crowd");
    const received = await Promise.all(subscribers.map((s) => s.messages));
    expect(received).toHaveLength(200);
    for (const [message] of received)
      expect({ id: message?.id, body: message && text(message) }).toEqual({
        id,
        body: "hello, crowd",
      });
  });

  it("gives a new subscriber no earlier message unless it asks for start_id", async () => {
    const subject = uniqueSubject("late");
    const early = await client.publish(subject, "early");
    const live = collect(client, subject, 1);
    await live.subscribed;
    const later = await client.publish(subject, "later");
    expect((await live.messages).map((m) => m.id)).toEqual([later]);
    const replay = collect(client, subject, 2, { startId: early });
    expect((await replay.messages).map(text)).toEqual(["early", "later"]);
  });

  it("resumes with start_id exactly once and in order while publishing continues", async () => {
    const subject = uniqueSubject("resume");
    const first = collect(client, subject, 10);
    await first.subscribed;
    const published = range(1, 30).map((n) => client.publish(subject, `m${n}`));
    const firstPart = await first.messages;
    await Promise.all(published);
    const lastSeen = firstPart.at(-1)?.id ?? 0;
    const duringResume = range(31, 60).map((n) => client.publish(subject, `m${n}`));
    const resumed = collect(client, subject, 60 - firstPart.length, { startId: lastSeen + 1 });
    await Promise.all(duringResume);
    const rest = await resumed.messages;
    const all = [...firstPart, ...rest];
    expect(all.map(text)).toEqual(range(1, 60).map((n) => `m${n}`));
    expect(all.map((m) => m.id)).toEqual([...all.map((m) => m.id)].sort((x, y) => x - y));
    expect(new Set(all.map((m) => m.id)).size).toBe(60);
  });

  it("expires messages after their TTL and never expires TTL 0", async () => {
    const subject = uniqueSubject("ttl");
    // Long enough that a store stalled under load still answers the first fetch before expiry.
    const shortLived = await client.publish(subject, "short", { ttlSeconds: 3 });
    const forever = await client.publish(subject, "forever", { ttlSeconds: 0 });
    expect(text(await client.fetch(subject, shortLived))).toBe("short");
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    await expectStatus(client.fetch(subject, shortLived), status.INVALID_ARGUMENT, /expired/);
    expect(text(await client.fetch(subject, forever))).toBe("forever");
    await expectStatus(
      client.fetch(subject, forever + 1000),
      status.INVALID_ARGUMENT,
      /unknown id/,
    );
  });

  it("answers each bad input with its documented code and stays up", async () => {
    const subject = uniqueSubject("bad");
    const limit = defaultTestSettings.maxMessageBytes;
    await expectStatus(client.publish("", "x"), status.INVALID_ARGUMENT, /empty/);
    await expectStatus(client.publish("s".repeat(256), "x"), status.INVALID_ARGUMENT, /256 bytes/);
    await expect(client.publish(uniqueSubject("s".repeat(240)), "x")).resolves.toBeGreaterThan(0);
    await expectStatus(
      client.publish(subject, "x", { ttlSeconds: -1 }),
      status.INVALID_ARGUMENT,
      /negative/,
    );
    await expectStatus(
      client.publish(subject, Buffer.alloc(limit + 1)),
      status.RESOURCE_EXHAUSTED,
      /limit/,
    );
    await expectStatus(
      client.publish(subject, Buffer.alloc(limit + 256 * 1024)),
      status.RESOURCE_EXHAUSTED,
    );
    await expect(client.publish(subject, Buffer.alloc(limit))).resolves.toBeGreaterThan(0);
    await expectStatus(client.fetch(subject, 0), status.INVALID_ARGUMENT, /positive/);
    await expectStatus(client.fetch(subject, -5), status.INVALID_ARGUMENT, /positive/);
    await expectStatus(client.fetch("", 1), status.INVALID_ARGUMENT, /empty/);
    await expectStatus(collect(client, "", 1).messages, status.INVALID_ARGUMENT, /empty/);
    await expectStatus(
      collect(client, subject, 1, { startId: -1 }).messages,
      status.INVALID_ARGUMENT,
      /start_id/,
    );
    // Field 1 with wire type 7 does not exist in protobuf: the frame cannot be decoded.
    const garbage = Buffer.concat([Buffer.from([0x0f]), randomBytes(64)]);
    expect(await sendRawFrame(broker.target, "/broker.Broker/Publish", garbage)).toBe(
      status.INTERNAL,
    );
    expect(await sendRawFrame(broker.target, "/broker.Broker/Fetch", garbage)).toBe(
      status.INTERNAL,
    );
    expect(await client.publish(subject, "still up")).toBeGreaterThan(0);
  });

  it("refuses a subject that is not text on every call, before the store sees it", async () => {
    // A NUL used to reach PostgreSQL and come back INTERNAL with a stack trace.
    const nul = "orders\u0000eu";
    const problem = /control character U\+0000 at byte 6/;
    await expectStatus(client.publish(nul, "x"), status.INVALID_ARGUMENT, problem);
    await expectStatus(
      client.publishBatch([{ subject: nul, body: "x" }]),
      status.INVALID_ARGUMENT,
      problem,
    );
    const publisher = client.publisher();
    await expectStatus(publisher.publish(nul, "x"), status.INVALID_ARGUMENT, problem);
    await publisher.close();
    await expectStatus(client.fetch(nul, 1), status.INVALID_ARGUMENT, problem);
    await expectStatus(collect(client, nul, 1).messages, status.INVALID_ARGUMENT, problem);
    // Subject "a" then 0xFF, which is never UTF-8: grpc-js decodes it to U+FFFD.
    const invalidUtf8 = [0x0a, 0x02, 0x61, 0xff];
    const publish = Buffer.from([...invalidUtf8, 0x12, 0x01, 0x78]);
    const fetch = Buffer.from([...invalidUtf8, 0x10, 0x01]);
    expect(await sendRawFrame(broker.target, "/broker.Broker/Publish", publish)).toBe(
      status.INVALID_ARGUMENT,
    );
    expect(await sendRawFrame(broker.target, "/broker.Broker/Fetch", fetch)).toBe(
      status.INVALID_ARGUMENT,
    );
  });

  it("refuses a subject with an empty token on every call, before the store sees it", async () => {
    const subject = uniqueSubject("tokens");
    for (const [bad, byte] of [
      [`${subject}..eu`, subject.length + 1],
      [`.${subject}`, 0],
      [`${subject}.`, subject.length + 1],
    ] as const) {
      const problem = new RegExp(`subject has an empty token at byte ${byte}$`);
      await expectStatus(client.publish(bad, "x"), status.INVALID_ARGUMENT, problem);
      await expectStatus(
        client.publishBatch([
          { subject, body: "fine" },
          { subject: bad, body: "x" },
        ]),
        status.INVALID_ARGUMENT,
        problem,
      );
      const publisher = client.publisher();
      await expectStatus(publisher.publish(bad, "x"), status.INVALID_ARGUMENT, problem);
      await publisher.close();
      await expectStatus(client.fetch(bad, 1), status.INVALID_ARGUMENT, problem);
      await expectStatus(collect(client, bad, 1).messages, status.INVALID_ARGUMENT, problem);
      await expectStatus(
        client.consume("tokens", bad, () => undefined),
        status.INVALID_ARGUMENT,
        problem,
      );
    }
    // Nothing of the refused batch was stored: the subject's first id is still free.
    expect(await client.publish(subject, "kept")).toBe(1);
  });

  it("publishes a batch in one call, all in order", async () => {
    const a = uniqueSubject("batch.a");
    const b = uniqueSubject("batch.b");
    const ids = await client.publishBatch([
      { subject: a, body: "a1" },
      { subject: b, body: "b1" },
      { subject: a, body: "a2" },
    ]);
    expect(ids).toEqual([1, 1, 2]);
    expect(text(await client.fetch(a, 2))).toBe("a2");
    await expectStatus(
      client.publishBatch([
        { subject: a, body: "ok" },
        { subject: "", body: "bad" },
      ]),
      status.INVALID_ARGUMENT,
    );
    expect(await client.publish(a, "a3")).toBe(3);
  });

  it("lists the service through server reflection and reports health", async () => {
    const services = await listServicesByReflection(broker.target);
    expect(services).toContain("broker.Broker");
    expect(services).toContain("grpc.health.v1.Health");
    expect(await checkHealth(broker.target, "")).toBe("SERVING");
    expect(await checkHealth(broker.target, "broker.Broker")).toBe("SERVING");
  });

  it("ends a subscriber that falls behind with RESOURCE_EXHAUSTED, counts it, and lets it resume", async () => {
    const slow = await startBroker(newStore(), { subscriberBufferSize: 8 });
    try {
      const subject = uniqueSubject("slow");
      /** A subscription that reads one message and then stops reading until told. */
      const stalledSubscription = (options: SubscribeOptions) => {
        let registered: () => void = () => undefined;
        const subscribed = new Promise<void>((resolve) => (registered = resolve));
        const messages = slow
          .client()
          .subscribe(subject, { ...options, onSubscribed: () => registered() });
        const first = messages.next().then((result): number => {
          if (result.done === true) throw new Error("subscription ended before its first message");
          return result.value.id;
        });
        return { subscribed, first, messages };
      };
      const plain = stalledSubscription({});
      const resuming = stalledSubscription({ resume: true });
      await Promise.all([plain.subscribed, resuming.subscribed]);
      const body = Buffer.alloc(16 * 1024, 7);
      const publisher = slow.client();
      const ids = await Promise.all(range(1, 400).map(() => publisher.publish(subject, body)));
      await until(
        "two subscriber overflows",
        async () => (await slow.metric("herald_subscriber_overflows_total")) >= 2,
      );

      const plainIds = [await plain.first];
      const overflow = await failureOf(
        (async () => {
          for await (const message of plain.messages) plainIds.push(message.id);
        })(),
      );
      expect(status[overflow.code]).toBe("RESOURCE_EXHAUSTED");
      expect(overflow.details).toMatch(/start_id/);
      expect(plainIds.length).toBeLessThan(400);

      const resumedIds = [await resuming.first];
      for await (const message of resuming.messages) {
        resumedIds.push(message.id);
        if (resumedIds.length === ids.length) break;
      }
      expect(resumedIds).toEqual([...ids].sort((x, y) => x - y));
    } finally {
      await slow.stop();
    }
  });

  it("answers a Fetch of an id whose write failed as unknown, not expired", async () => {
    const store = new SwitchableStore(newStore());
    const failing = await startBroker(store, { storeTimeoutMs: 300 });
    try {
      const c = failing.client();
      const subject = uniqueSubject("skipped");
      expect(await c.publish(subject, "stored")).toBe(1);
      // Without an idempotency key the id is assigned before any store call: the write is what fails.
      const publisher = c.publisher();
      store.hanging = true;
      await expectStatus(publisher.publish(subject, "lost"), status.UNAVAILABLE, /timed out/);
      await publisher.close();
      store.hanging = false;
      await until("the broker ready again", () => failing.broker.ready());
      // Id 2 went to the failed write; the next write stores 3, below the head 2 was never stored.
      expect(await c.publish(subject, "after")).toBe(3);
      await expectStatus(
        c.fetch(subject, 2),
        status.INVALID_ARGUMENT,
        /^unknown id 2 for subject /,
      );
      await expectStatus(
        c.fetch(subject, 4),
        status.INVALID_ARGUMENT,
        /^unknown id 4 for subject /,
      );
      expect(text(await c.fetch(subject, 3))).toBe("after");
    } finally {
      await failing.stop();
    }
  });

  it("answers UNAVAILABLE quickly while the store is unreachable, then recovers", async () => {
    const store = new SwitchableStore(newStore());
    const outage = await startBroker(store, { storeTimeoutMs: 300 });
    try {
      const c = outage.client();
      const subject = uniqueSubject("outage");
      const before = await c.publish(subject, "before");
      store.hanging = true;
      await expectStatus(c.publish(subject, "during"), status.UNAVAILABLE, /timed out/);
      expect(outage.broker.ready()).toBe(false);
      const started = performance.now();
      await expectStatus(c.publish(subject, "during"), status.UNAVAILABLE);
      await expectStatus(c.fetch(subject, before), status.UNAVAILABLE);
      await expectStatus(collect(c, subject, 1).messages, status.UNAVAILABLE);
      expect(performance.now() - started).toBeLessThan(300);
      expect(await checkHealth(outage.target, "")).toBe("NOT_SERVING");
      store.hanging = false;
      await until("the broker ready again", () => outage.broker.ready());
      const after = await c.publish(subject, "after");
      expect(after).toBeGreaterThan(before);
      expect(text(await c.fetch(subject, before))).toBe("before");
    } finally {
      await outage.stop();
    }
  });

  it("loses no acknowledged message in a graceful shutdown and refuses calls with UNAVAILABLE", async () => {
    const draining = await startBroker(newStore());
    const subject = uniqueSubject("drain");
    const clients = range(1, 4).map(() => draining.client());
    const subscriber = collect(clients[0] as HeraldClient, subject, 1_000_000);
    await subscriber.subscribed;
    let acknowledged = 0;
    type Outcome = { acked: true; id: number; body: string } | { acked: false; code: status };
    const attempts = range(1, 400).map(async (n): Promise<Outcome> => {
      await new Promise((resolve) => setTimeout(resolve, n % 40));
      try {
        const id = await (clients[n % 4] as HeraldClient).publish(subject, `m${n}`);
        acknowledged += 1;
        return { acked: true, id, body: `m${n}` };
      } catch (err) {
        return { acked: false, code: (err as ServiceError).code };
      }
    });
    await until("20 acknowledged publishes", () => acknowledged >= 20);
    await draining.stop();
    const outcomes = await Promise.all(attempts);
    const acked = outcomes.flatMap((o) => (o.acked ? [o] : []));
    const refused = outcomes.flatMap((o) => (o.acked ? [] : [o.code]));
    expect(acked.length).toBeGreaterThanOrEqual(20);
    expect(new Set(refused.map((code) => status[code]))).toEqual(
      refused.length === 0 ? new Set() : new Set(["UNAVAILABLE"]),
    );
    await expectStatus(subscriber.messages, status.UNAVAILABLE, /shutting down/);

    await expectStoredAfterReopen(newStore(), subject, acked);
  });
});

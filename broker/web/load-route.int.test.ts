/**
 * POST /v1/load on a real broker with authentication on: the gateway's maxima, the `publish` and
 * `subscribe` permissions it requires, one run at a time, and a small run whose every message is
 * published, delivered and timed, reported as Server-Sent Events.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestBroker, type TestBroker, uniqueSubject } from "../test/harness.ts";
import { brokerTestStores } from "../test/test-stores.ts";
import { tokenSecurity } from "./test/auth-file.ts";
import { startTestGateway, type TestGateway } from "./test/web-client.ts";

const tokens = { both: "load-both-token", publishOnly: "load-publish-token" };

describe("load test route", () => {
  let broker: TestBroker;
  let gateway: TestGateway;

  beforeAll(async () => {
    const security = tokenSecurity([
      {
        name: "load-runner",
        token: tokens.both,
        permissions: { publish: ["load.>"], subscribe: ["load.>"], fetch: ["load.>"] },
      },
      { name: "publisher", token: tokens.publishOnly, permissions: { publish: ["load.>"] } },
    ]);
    broker = await startTestBroker(
      brokerTestStores(inject("testEnv"), "memory", "load_route").newStore(),
      { security },
      { token: tokens.both },
    );
    gateway = await startTestGateway(broker.broker);
  });

  afterAll(async () => {
    await gateway?.gateway.close();
    await broker?.stop();
  });

  const run = (body: object, token = tokens.both) =>
    fetch(`${gateway.url}/v1/load`, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });
  const small = () => ({
    subject: uniqueSubject("load.small"),
    ratePerSecond: 20,
    bodyBytes: 64,
    durationSeconds: 1,
  });

  it("answers its maxima to a signed-in caller, and refuses a request above one, naming it", async () => {
    expect((await fetch(`${gateway.url}/v1/load/limits`)).status).toBe(401);
    const limits = await fetch(`${gateway.url}/v1/load/limits`, {
      headers: { authorization: `Bearer ${tokens.publishOnly}` },
    });
    expect(await limits.json()).toEqual({
      maxRatePerSecond: 500,
      maxBodyBytes: 4096,
      maxDurationSeconds: 30,
    });
    const refused = await run({ ...small(), ratePerSecond: 501 });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      code: "INVALID_ARGUMENT",
      message: "ratePerSecond: must be at most 500 messages/s, the gateway's maximum",
    });
    const tooLong = await run({ ...small(), durationSeconds: 31 });
    expect(((await tooLong.json()) as { message: string }).message).toMatch(/^durationSeconds: /);
  });

  it("requires the subscribe permission as well as publish", async () => {
    const refused = await run(small(), tokens.publishOnly);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "PERMISSION_DENIED" });
    const elsewhere = await run({ ...small(), subject: "other.x" });
    expect(elsewhere.status).toBe(403);
  });

  it("publishes at the rate, times every delivery and ends with a summary; one run at a time", async () => {
    const request = small();
    const response = await run(request);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const busy = await run(small());
    expect(busy.status).toBe(503);
    await busy.body?.cancel();

    const text = await response.text();
    const events = [...text.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map(([, name, data]) => ({
      name,
      data: JSON.parse(data ?? "null") as Record<string, unknown>,
    }));
    expect(events[0]).toEqual({ name: "started", data: request });
    const done = events.at(-1);
    expect(done?.name).toBe("done");
    expect(done?.data).toMatchObject({ published: 20, delivered: 20 });
    const latency = done?.data.latencyMs as { p50: number; p99: number; max: number };
    expect(latency.p50).toBeGreaterThan(0);
    expect(latency.p99).toBeGreaterThanOrEqual(latency.p50);
    const progress = events.filter(({ name }) => name === "progress");
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)?.data).toMatchObject({ publishedTotal: 20, deliveredTotal: 20 });
    expect((await broker.client().fetch(request.subject, 20)).body.length).toBe(64);
  });
});

/**
 * PublishStream semantics on every store, through the client's pipelined
 * publisher: per-message acks in order, per-subject ids, fan-out, per-message
 * errors, the in-flight bound, a store outage and a drain.
 */
import { randomBytes } from "node:crypto";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PublishStreamRequest } from "../api/gen/broker.ts";
import type { HeraldClient } from "../client/herald-client.ts";
import {
  collect,
  expectStatus,
  expectStoredAfterReopen,
  range,
  SwitchableStore,
} from "./expectations.ts";
import { publishStreamFrames } from "./grpc-probes.ts";
import { defaultTestSettings, startTestBroker, type TestBroker, uniqueSubject } from "./harness.ts";
import { brokerTestStores, storeKinds } from "./test-stores.ts";
import { until } from "../../testing/until.ts";

/** Publishes every message at once on one stream and records the order in which acks arrive. */
async function publishAll(
  client: HeraldClient,
  messages: readonly { subject: string; body: string | Buffer; ttlSeconds?: number }[],
) {
  const publisher = client.publisher();
  const answered: number[] = [];
  const outcomes = await Promise.allSettled(
    messages.map((message, index) =>
      publisher
        .publish(message.subject, message.body, { ttlSeconds: message.ttlSeconds })
        .finally(() => answered.push(index)),
    ),
  );
  await publisher.close();
  return { outcomes, answered };
}

const failureOf = (outcome: PromiseSettledResult<number> | undefined) =>
  outcome?.status === "rejected" ? (outcome.reason as ServiceError) : undefined;

/** method_count of PublishStream messages, by outcome. */
async function streamCalls(broker: TestBroker) {
  const values = (await broker.registry.getSingleMetric("method_count")?.get())?.values ?? [];
  const count = (success: string) =>
    values.find((v) => v.labels.method === "publish_stream" && v.labels.success === success)
      ?.value ?? 0;
  return { ok: count("true"), failed: count("false") };
}

const idOf = (outcome: PromiseSettledResult<number> | undefined) =>
  outcome?.status === "fulfilled" ? outcome.value : undefined;

describe.each(storeKinds)("PublishStream on the %s store", (kind) => {
  const stores = brokerTestStores(inject("testEnv"), kind, "herald_stream");
  let broker: TestBroker;
  let client: HeraldClient;

  beforeAll(async () => {
    broker = await startTestBroker(stores.newStore());
    client = broker.client();
  });

  afterAll(async () => {
    await broker?.stop();
    await stores.drop();
  });

  it("acks every message in send order with increasing ids per interleaved subject", async () => {
    const subjects = range(1, 3).map((n) => uniqueSubject(`stream${n}`));
    const messages = range(0, 599).map((n) => ({
      subject: subjects[n % 3] ?? "",
      body: `m${n}`,
    }));
    const { outcomes, answered } = await publishAll(client, messages);
    expect(answered).toEqual(range(0, 599));
    for (const [index, subject] of subjects.entries()) {
      const ids = outcomes.filter((_, n) => n % 3 === index).map(idOf);
      expect(ids).toEqual(range(1, 200));
      const fetched = await client.fetch(subject, 200);
      expect(fetched.body.toString("utf8")).toBe(`m${597 + index}`);
    }
  });

  it("delivers every streamed message to a subscriber exactly once, in order", async () => {
    const subject = uniqueSubject("stream.fan");
    const subscriber = collect(broker.client(), subject, 300);
    await subscriber.subscribed;
    const { outcomes } = await publishAll(
      client,
      range(1, 300).map((n) => ({ subject, body: `m${n}` })),
    );
    const received = await subscriber.messages;
    expect(received.map((message) => message.id)).toEqual(outcomes.map(idOf));
    expect(received.map((message) => message.body.toString("utf8"))).toEqual(
      range(1, 300).map((n) => `m${n}`),
    );
  });

  it("answers a bad message with Publish's code and goes on with the next ones", async () => {
    const subject = uniqueSubject("stream.bad");
    const limit = defaultTestSettings.maxMessageBytes;
    const countedBefore = await streamCalls(broker);
    const { outcomes, answered } = await publishAll(client, [
      { subject, body: "first" },
      { subject: "", body: "no subject" },
      { subject, body: "negative", ttlSeconds: -1 },
      { subject, body: Buffer.alloc(limit + 1) },
      { subject, body: "last" },
    ]);
    expect(answered).toEqual([0, 1, 2, 3, 4]);
    const codes = outcomes.map((outcome) => {
      const err = failureOf(outcome);
      return err === undefined ? "OK" : status[err.code];
    });
    expect(codes).toEqual([
      "OK",
      "INVALID_ARGUMENT",
      "INVALID_ARGUMENT",
      "RESOURCE_EXHAUSTED",
      "OK",
    ]);
    expect(outcomes.map(idOf)).toEqual([1, undefined, undefined, undefined, 2]);
    expect(failureOf(outcomes[1])?.details).toMatch(/empty/);
    const counted = await streamCalls(broker);
    expect({
      ok: counted.ok - countedBefore.ok,
      failed: counted.failed - countedBefore.failed,
    }).toEqual({ ok: 2, failed: 3 });
  });

  it("answers a frame that is not a protobuf message alone, acks the frames around it, and goes on", async () => {
    const subject = uniqueSubject("stream.garbage");
    const frame = (sequence: number, body: string) =>
      Buffer.from(
        PublishStreamRequest.encode({
          sequence,
          message: { subject, body: Buffer.from(body), expirationSeconds: 0, idempotencyKey: "" },
        }).finish(),
      );
    // Field 1 with wire type 7 does not exist in protobuf: the frame cannot be decoded.
    const garbage = Buffer.concat([Buffer.from([0x0f]), randomBytes(64)]);
    // Sequence 3 reads, then the same undecodable field.
    const garbageAfterSequence = Buffer.concat([Buffer.from([0x08, 0x03, 0x0f]), randomBytes(8)]);
    const { responses, code } = await publishStreamFrames(broker.address, [
      frame(1, "before"),
      garbage,
      garbageAfterSequence,
      frame(4, "after"),
    ]);
    expect(status[code]).toBe("OK");
    expect(responses.map(({ sequence, id, error }) => [sequence, id, error?.code])).toEqual([
      [1, 1, undefined],
      [0, 0, status.INVALID_ARGUMENT],
      [3, 0, status.INVALID_ARGUMENT],
      [4, 2, undefined],
    ]);
    expect(responses[1]?.error?.message).toMatch(/^frame is not a PublishStreamRequest: /);
    expect((await client.fetch(subject, 1)).body.toString("utf8")).toBe("before");
    expect((await client.fetch(subject, 2)).body.toString("utf8")).toBe("after");
  });

  it("stops reading at the in-flight bound while the store is slow, then completes", async () => {
    const store = new SwitchableStore(stores.newStore());
    const bounded = await startTestBroker(store, { publishStreamMaxInflight: 8 });
    try {
      const subject = uniqueSubject("stream.bound");
      const publisher = bounded.client().publisher();
      await publisher.publish(subject, "warm");
      const release = store.hold();
      const pending = range(1, 200).map((n) => publisher.publish(subject, `m${n}`));
      // One write is held in the store; the stream reads no more than the bound.
      await until(
        "a pending batch message",
        async () => (await bounded.metric("herald_batch_pending_messages")) > 0,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await bounded.metric("herald_batch_pending_messages")).toBeLessThan(8);
      release();
      expect(await Promise.all(pending)).toEqual(range(2, 201));
      await publisher.close();
    } finally {
      await bounded.stop();
    }
  });

  it("stops reading at the in-flight byte bound while the store is frozen, then completes", async () => {
    const store = new SwitchableStore(stores.newStore());
    const bounded = await startTestBroker(store, { publishStreamMaxInflightBytes: 4 * 60 * 1024 });
    try {
      const subject = uniqueSubject("stream.bytes");
      const publisher = bounded.client().publisher();
      await publisher.publish(subject, "warm");
      const release = store.hold();
      const pending = range(1, 40).map(() => publisher.publish(subject, randomBytes(60 * 1024)));
      await until(
        "a pending batch message",
        async () => (await bounded.metric("herald_batch_pending_messages")) > 0,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Far under the message bound (1024): the bytes stopped the reading.
      expect(await bounded.metric("herald_batch_pending_messages")).toBeLessThanOrEqual(4);
      release();
      expect(await Promise.all(pending)).toEqual(range(2, 41));
      await publisher.close();
    } finally {
      await bounded.stop();
    }
  });

  it("answers UNAVAILABLE per message quickly while the store is unreachable, then recovers", async () => {
    const store = new SwitchableStore(stores.newStore());
    const outage = await startTestBroker(store, { storeTimeoutMs: 300 });
    try {
      const subject = uniqueSubject("stream.outage");
      const publisher = outage.client().publisher();
      const before = await publisher.publish(subject, "before");
      store.hanging = true;
      await expectStatus(publisher.publish(subject, "during"), status.UNAVAILABLE, /timed out/);
      const started = performance.now();
      await expectStatus(publisher.publish(subject, "during"), status.UNAVAILABLE);
      expect(performance.now() - started).toBeLessThan(300);
      store.hanging = false;
      await until("the broker ready again", () => outage.broker.ready());
      expect(await publisher.publish(subject, "after")).toBeGreaterThan(before);
      await publisher.close();
    } finally {
      await outage.stop();
    }
  });

  it("ends the stream UNAVAILABLE on drain, and every acked message is stored", async () => {
    const draining = await startTestBroker(stores.newStore());
    const subject = uniqueSubject("stream.drain");
    const publisher = draining.client().publisher();
    const acked: { id: number; body: string }[] = [];
    const failures: number[] = [];
    const load = (async () => {
      for (let n = 0; n < 100_000; n += 1) {
        const inFlight = range(1, 32).map((k) =>
          publisher.publish(subject, `m${n}.${k}`).then(
            (id) => acked.push({ id, body: `m${n}.${k}` }),
            (err: ServiceError) => failures.push(err.code),
          ),
        );
        await Promise.all(inFlight);
        if (failures.length > 0) return;
      }
    })();
    await until("200 acknowledged publishes", () => acked.length >= 200);
    await draining.stop();
    await load;
    expect(new Set(failures.map((code) => status[code]))).toEqual(new Set(["UNAVAILABLE"]));
    const ids = acked.map((message) => message.id);
    expect(ids).toEqual(range(1, ids.length));

    await expectStoredAfterReopen(stores.newStore(), subject, acked);
  });
});

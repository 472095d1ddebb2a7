/**
 * Consumer-group conformance (broker/README.md#consumer-groups): one suite, run
 * against a real broker over real gRPC for every store. Each semantic of the
 * contract is one test.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AckKind, type ConsumeRequest, type ConsumeStart } from "../api/gen/broker.ts";
import type { ConsumedMessage, HeraldClient } from "../client/herald-client.ts";
import { collect, range } from "../test/expectations.ts";
import { startTestBroker, type TestBroker, uniqueSubject } from "../test/harness.ts";
import { brokerTestStores, storeKinds } from "../test/test-stores.ts";
import { until } from "../../testing/until.ts";
import { RawMember } from "./test/raw-member.ts";

const uniqueGroup = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
const text = (message: { body: Buffer }) => message.body.toString("utf8");

describe.each(storeKinds)("consumer groups on the %s store", (kind) => {
  const stores = brokerTestStores(inject("testEnv"), kind, "herald_groups");
  let broker: TestBroker;
  let client: HeraldClient;
  const members: RawMember[] = [];
  const aborts: AbortController[] = [];

  const member = (start?: Partial<ConsumeStart>, first?: ConsumeRequest) => {
    const created = new RawMember(broker.address, start, first);
    members.push(created);
    return created;
  };

  /** A HeraldClient member that records what it handles; `handle` decides ack (resolve) or NAK (throw). */
  const consumer = async (
    group: string,
    subject: string,
    handle: (message: ConsumedMessage) => Promise<void> | void = () => undefined,
    options: Parameters<HeraldClient["consume"]>[3] = {},
  ) => {
    const abort = new AbortController();
    aborts.push(abort);
    const seen: ConsumedMessage[] = [];
    let joined!: () => void;
    const hasJoined = new Promise<void>((resolve) => (joined = resolve));
    const done = client.consume(
      group,
      subject,
      (message) => {
        seen.push(message);
        return handle(message);
      },
      { ...options, signal: abort.signal, onJoined: joined },
    );
    await hasJoined;
    return { seen, stop: () => abort.abort(), done };
  };

  const ackedOf = async (group: string) => {
    const metric = await broker.registry.getSingleMetric("herald_group_acked_total")?.get();
    return metric?.values.find((value) => value.labels.group === group)?.value ?? 0;
  };

  beforeAll(async () => {
    broker = await startTestBroker(stores.newStore());
    client = broker.client();
  });

  afterAll(async () => {
    for (const created of members) created.close();
    for (const abort of aborts) abort.abort();
    await broker?.stop();
    await stores.drop();
  });

  it("shares a subject's messages between members, each delivered once", async () => {
    const subject = uniqueSubject("share");
    const group = uniqueGroup("share");
    const a = await consumer(group, subject, () => sleep(5), { maxInFlight: 2 });
    const b = await consumer(group, subject, () => sleep(5), { maxInFlight: 2 });
    for (const n of range(1, 40)) await client.publish(subject, `m${n}`);
    await until("every message handled", () => a.seen.length + b.seen.length >= 40);
    await sleep(200);
    const ids = [...a.seen, ...b.seen].map((message) => message.id).sort((x, y) => x - y);
    expect(ids).toEqual(range(1, 40));
    expect(a.seen.length).toBeGreaterThan(0);
    expect(b.seen.length).toBeGreaterThan(0);
    expect([...a.seen, ...b.seen].every((message) => message.attempt === 1)).toBe(true);
  });

  it("redelivers after ack_wait, with the next attempt number", async () => {
    const subject = uniqueSubject("ackwait");
    const group = uniqueGroup("ackwait");
    const raw = member({ group, subject, ackWaitMs: 300 });
    await raw.joined;
    // Before the publish, so before the delivery that starts the broker's ack_wait: a lower bound
    // that the test's own delay in seeing the first delivery cannot shorten.
    const published = Date.now();
    await client.publish(subject, "late");
    const [first] = await raw.received(1);
    const [, second] = await raw.received(2);
    expect(Date.now() - published).toBeGreaterThanOrEqual(300);
    expect(second).toMatchObject({ subject, id: first?.id, attempt: 2 });
    expect(text(second ?? { body: Buffer.alloc(0) })).toBe("late");
  });

  it("redelivers at once to another member when the holder disconnects", async () => {
    const subject = uniqueSubject("disconnect");
    const group = uniqueGroup("disconnect");
    const holder = member({ group, subject, ackWaitMs: 60_000 });
    await holder.joined;
    await client.publish(subject, "held");
    await holder.received(1);
    const other = await consumer(group, subject);
    const left = Date.now();
    holder.close();
    await until("the redelivery", () => other.seen.length === 1, { timeoutMs: 5_000 });
    expect(Date.now() - left).toBeLessThan(5_000);
    expect(other.seen[0]).toMatchObject({ id: 1, attempt: 2 });
  });

  it("redelivers a NAKed message at once, as a new attempt", async () => {
    const subject = uniqueSubject("nak");
    const group = uniqueGroup("nak");
    const c = await consumer(group, subject, (message) => {
      if (message.attempt === 1) throw new Error("not yet");
    });
    await client.publish(subject, "retry me");
    await until("the second attempt", () => c.seen.length === 2, { timeoutMs: 5_000 });
    expect(c.seen.map((message) => message.attempt)).toEqual([1, 2]);
  });

  it("dead-letters on TERM with the original body, and removes the message from the group", async () => {
    const subject = uniqueSubject("term");
    const group = uniqueGroup("term");
    const raw = member({ group, subject, ackWaitMs: 300 });
    await raw.joined;
    const body = Buffer.from([0, 1, 2, 250, 251]);
    await client.publish(subject, body);
    const [delivery] = await raw.received(1);
    raw.ack(delivery ?? { subject, id: 1, attempt: 1 }, AckKind.TERM);
    const dead = await until("the dead letter", () =>
      client.fetch(`$DLQ.${group}.${subject}`, 1).catch(() => undefined),
    );
    expect(Buffer.compare(dead.body, body)).toBe(0);
    await sleep(600);
    expect(raw.deliveries).toHaveLength(1);
  });

  it("dead-letters after max_deliveries attempts, and nothing is lost", async () => {
    const subject = uniqueSubject("maxdeliver");
    const group = uniqueGroup("maxdeliver");
    const c = await consumer(
      group,
      subject,
      () => {
        throw new Error("poison");
      },
      { maxDeliveries: 3 },
    );
    await client.publish(subject, "poison");
    await client.publish(subject, "poison too");
    const dead = await until("both dead letters", async () => {
      const found = await Promise.all(
        [1, 2].map((id) => client.fetch(`$DLQ.${group}.${subject}`, id).catch(() => undefined)),
      );
      return found.every((message) => message !== undefined) && found;
    });
    expect(dead.map((message) => message && text(message)).sort()).toEqual([
      "poison",
      "poison too",
    ]);
    expect(c.seen.filter((message) => message.id === 1).map((message) => message.attempt)).toEqual([
      1, 2, 3,
    ]);
    const subscription = collect(client, `$DLQ.${group}.${subject}`, 2, { startId: 1 });
    expect((await subscription.messages).map(text).sort()).toEqual(["poison", "poison too"]);
  });

  it("ignores the ack of a superseded attempt", async () => {
    const subject = uniqueSubject("stale");
    const group = uniqueGroup("stale");
    const raw = member({ group, subject, ackWaitMs: 300 });
    await raw.joined;
    await client.publish(subject, "once");
    const [first] = await raw.received(1);
    const [, second] = await raw.received(2);
    expect(second?.attempt).toBe(2);
    raw.ack(first ?? { subject, id: 1, attempt: 1 });
    const [, , third] = await raw.received(3);
    expect(third?.attempt).toBe(3);
    raw.ack(third ?? { subject, id: 1, attempt: 3 });
    await sleep(700);
    expect(raw.deliveries).toHaveLength(3);
    expect(raw.failure).toBeUndefined();
  });

  it("gives a member at most max_in_flight unacknowledged messages; the rest go to others", async () => {
    const subject = uniqueSubject("inflight");
    const group = uniqueGroup("inflight");
    const hoarder = member({ group, subject, maxInFlight: 2, ackWaitMs: 60_000 });
    await hoarder.joined;
    for (const n of range(1, 10)) await client.publish(subject, `m${n}`);
    await hoarder.received(2);
    const worker = await consumer(group, subject);
    await until("the rest at the other member", () => worker.seen.length === 8);
    expect(hoarder.deliveries).toHaveLength(2);
  });

  it("does not stall the others behind a member that never acks: everything is acked elsewhere", async () => {
    const subject = uniqueSubject("neverack");
    const group = uniqueGroup("neverack");
    // The group's settings come from its first member: a short ack wait, attempts to spare.
    const silent = member({ group, subject, maxInFlight: 2, ackWaitMs: 300, maxDeliveries: 20 });
    await silent.joined;
    const worker = await consumer(group, subject);
    for (const n of range(1, 30)) await client.publish(subject, `m${n}`);
    // New messages keep flowing to the worker while the silent member holds its two.
    await until("the messages the silent member does not hold", () => worker.seen.length >= 28);
    const acked = () => new Set(worker.seen.map((message) => message.id));
    await until("every message acked by the worker", () => acked().size === 30, {
      timeoutMs: 15_000,
    });
    expect([...acked()].sort((x, y) => x - y)).toEqual(range(1, 30));
    // What the silent member held came to the worker again after the ack wait, as later attempts.
    const held = new Set(silent.deliveries.map((delivery) => delivery.id));
    expect(held.size).toBeGreaterThan(0);
    for (const id of held) {
      const handled = worker.seen.find((message) => message.id === id);
      expect(handled?.attempt).toBeGreaterThan(1);
    }
    await until("30 acks durable", async () => (await ackedOf(group)) === 30);
    await expect(client.fetch(`$DLQ.${group}.${subject}`, 1)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    expect(silent.failure).toBeUndefined();
  });

  it("consumes every subject a wildcard group matches, and only those", async () => {
    const root = uniqueSubject("wild");
    const group = uniqueGroup("wild");
    const c = await consumer(group, `${root}.*`);
    await client.publish(`${root}.eu`, "eu");
    await client.publish(`${root}.us`, "us");
    await client.publish(`${root}.eu.paid`, "too deep");
    await client.publish(root, "too shallow");
    await until("both matching subjects", () => c.seen.length === 2);
    await sleep(200);
    expect(c.seen.map((message) => `${message.subject}=${text(message)}`).sort()).toEqual([
      `${root}.eu=eu`,
      `${root}.us=us`,
    ]);
  });

  it("subscribes to a pattern, each message with its subject, in order within a subject", async () => {
    const root = uniqueSubject("psub");
    const subscription = collect(client, `${root}.>`, 10);
    await subscription.subscribed;
    for (const n of range(1, 5)) {
      await client.publish(`${root}.a`, `a${n}`);
      await client.publish(`${root}.b.c`, `b${n}`);
    }
    await client.publish(`${root}x.a`, "other");
    const messages = await subscription.messages;
    const of = (subject: string) =>
      messages.filter((message) => message.subject === subject).map(text);
    expect(of(`${root}.a`)).toEqual(range(1, 5).map((n) => `a${n}`));
    expect(of(`${root}.b.c`)).toEqual(range(1, 5).map((n) => `b${n}`));
  });

  it("starts a new group at start_id, and a plain one after the subject's last message", async () => {
    const subject = uniqueSubject("start");
    for (const n of range(1, 3)) await client.publish(subject, `old${n}`);
    const fromTwo = await consumer(uniqueGroup("from2"), subject, undefined, { startId: 2 });
    const fromNow = await consumer(uniqueGroup("now"), subject);
    await client.publish(subject, "new");
    await until("old and new", () => fromTwo.seen.length === 3 && fromNow.seen.length === 1);
    expect(fromTwo.seen.map(text)).toEqual(["old2", "old3", "new"]);
    expect(fromNow.seen.map(text)).toEqual(["new"]);
  });

  it("refuses bad starts, a first frame that is not start, and acks of unknown messages", async () => {
    const subject = uniqueSubject("errors");
    const badGroup = member({ group: "bad.group", subject });
    expect(await badGroup.ended()).toMatchObject({ code: status.INVALID_ARGUMENT });
    const badPattern = member({ group: uniqueGroup("p"), subject: "orders.>.x" });
    expect((await badPattern.ended()).details).toMatch(/may only be the last token/);
    const ackFirst = member(undefined, { ack: { subject, id: 1, attempt: 1, kind: AckKind.ACK } });
    expect((await ackFirst.ended()).details).toMatch(/first ConsumeRequest must be start/);
    const group = uniqueGroup("unknown");
    const acker = member({ group, subject });
    await acker.joined;
    acker.ack({ subject, id: 99, attempt: 1 });
    expect(await acker.ended()).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(acker.failure?.details).toMatch(/unknown message/);
    const conflict = member({ group, subject: `${subject}.*` });
    expect(await conflict.ended()).toMatchObject({ code: status.FAILED_PRECONDITION });
  });

  it("keeps the group's position and pending set across a restart: acked never again, unacked again", async () => {
    const subject = uniqueSubject("restart");
    const group = uniqueGroup("restart");
    const raw = member({ group, subject, ackWaitMs: 60_000 });
    await raw.joined;
    for (const n of range(1, 4)) await client.publish(subject, `m${n}`);
    const delivered = await raw.received(4);
    for (const delivery of delivered.slice(0, 2)) raw.ack(delivery);
    await until("two acks durable", async () => (await ackedOf(group)) === 2);
    // The earlier tests' members leave first: this broker's clients close with it.
    for (const abort of aborts) abort.abort();
    await broker.stop();
    broker = await startTestBroker(stores.newStore());
    client = broker.client();
    const again = member({ group, subject });
    await again.joined;
    await client.publish(subject, "m5");
    const redelivered = await again.received(3);
    await sleep(300);
    expect(again.deliveries.map((delivery) => `${delivery.id}@${delivery.attempt}`).sort()).toEqual(
      ["3@2", "4@2", "5@1"],
    );
    expect(redelivered.map(text).sort()).toEqual(["m3", "m4", "m5"]);
  });
});

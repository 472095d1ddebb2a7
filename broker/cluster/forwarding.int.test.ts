/**
 * Three in-process brokers with static membership sharing one PostgreSQL
 * schema: any member accepts any call, and the subject's owner assigns ids.
 */
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ReceivedMessage } from "../client/herald-client.ts";
import { collect as subscribe, expectStatus } from "../test/expectations.ts";
import { uniqueSubject } from "../test/harness.ts";
import { brokerTestStores } from "../test/test-stores.ts";
import { startTestCluster, type TestCluster } from "./test/cluster-harness.ts";

const stores = brokerTestStores(inject("testEnv"), "postgres", "herald_cluster_fwd");
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster(3, () => stores.newStore(), { prefix: "fwd" });
});
afterAll(async () => {
  await cluster?.stop();
  await stores.drop();
});

const membership = () => ({ epoch: 1, members: cluster.members.map((m) => m.member) });

/** The owner of `subject` and the two members that are not. */
function roles(subject: string) {
  const owner = cluster.ownerOf(subject, membership());
  const [first, second] = cluster.members.filter((member) => member !== owner);
  if (first === undefined || second === undefined) throw new Error("need three members");
  return { owner, first, second };
}

describe("forwarding to the subject's owner", () => {
  it("publishes through a non-owner with unique increasing ids, fetchable through every member", async () => {
    const subject = uniqueSubject("fwd.publish");
    const { owner, first, second } = roles(subject);
    const viaFirst = first.client();
    const ids = await Promise.all(
      Array.from({ length: 200 }, (_, index) => viaFirst.publish(subject, `m${index}`)),
    );
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const sequential: number[] = [];
    for (let index = 0; index < 20; index++) {
      sequential.push(await second.client().publish(subject, `s${index}`));
    }
    expect(sequential).toEqual(Array.from({ length: 20 }, (_, i) => 201 + i));
    for (const member of [owner, first, second]) {
      const client = member.client();
      expect((await client.fetch(subject, 7)).body.toString()).toBe("m6");
      expect((await client.fetch(subject, 205)).body.toString()).toBe("s4");
    }
    expect(await metric(first, "herald_forwarded_calls_total")).toBeGreaterThanOrEqual(200);
    expect(await metric(owner, "herald_forwarded_calls_total")).toBe(0);
  });

  it("publishes a batch spanning owners through one member, with each subject's ids in order", async () => {
    const subjects = Array.from({ length: 6 }, (_, index) => uniqueSubject(`fwd.batch${index}`));
    const client = cluster.members[0]?.client();
    if (client === undefined) throw new Error("no member");
    const messages = subjects.flatMap((subject) => [
      { subject, body: "a" },
      { subject, body: "b" },
    ]);
    const ids = await client.publishBatch(messages);
    expect(ids).toEqual(subjects.flatMap(() => [1, 2]));
    const single = await client.publishBatch([{ subject: subjects[0] ?? "", body: "c" }]);
    expect(single).toEqual([3]);
  });

  it("dedupes keyed publishes on the owner, whichever member forwards them and however they come", async () => {
    const subject = uniqueSubject("fwd.keyed");
    const { owner, first, second } = roles(subject);
    const id = await first.client().publish(subject, "once", { idempotencyKey: "k1" });
    expect(await second.client().publish(subject, "once", { idempotencyKey: "k1" })).toBe(id);
    expect(await owner.client().publish(subject, "once", { idempotencyKey: "k1" })).toBe(id);
    expect(
      await first.client().publishBatch([
        { subject, body: "once", idempotencyKey: "k1" },
        { subject, body: "twice", idempotencyKey: "k2" },
        { subject, body: "twice", idempotencyKey: "k2" },
      ]),
    ).toEqual([id, id + 1, id + 1]);
    const publisher = second.client().publisher();
    const streamed = await Promise.all([
      publisher.publish(subject, "twice", { idempotencyKey: "k2" }),
      publisher.publish(subject, "thrice", { idempotencyKey: "k3" }),
    ]);
    await publisher.close();
    expect(streamed).toEqual([id + 1, id + 2]);
    expect(await owner.client().publish(subject, "unkeyed")).toBe(id + 3);
  });

  it("counts a forwarded call once, on the member the client called", async () => {
    const subject = uniqueSubject("fwd.count");
    const { owner, first, second } = roles(subject);
    const before = await Promise.all([owner, first, second].map(methodCalls));
    const client = first.client();
    await client.publish(subject, "a");
    await client.publishBatch([{ subject, body: "b" }]);
    await client.fetch(subject, 1);
    const after = await Promise.all([owner, first, second].map(methodCalls));
    const added = after.map((calls, index) => ({
      counted: calls.counted - (before[index]?.counted ?? 0),
      timed: calls.timed - (before[index]?.timed ?? 0),
    }));
    expect(added).toEqual([
      { counted: 0, timed: 0 },
      { counted: 3, timed: 3 },
      { counted: 0, timed: 0 },
    ]);
  });

  it("delivers to a subscriber on a non-owner every message in order, from one upstream relay", async () => {
    const subject = uniqueSubject("fwd.subscribe");
    const { owner, first, second } = roles(subject);
    const subscriptions = [first, first, second].map((member) => collect(member, subject, 300));
    await Promise.all(subscriptions.map((subscription) => subscription.subscribed));
    // Two subscribers on `first` share one upstream stream: the owner sees one per relaying member.
    expect(await metric(owner, "herald_subscribers")).toBe(2);
    const publishers = [owner.client(), first.client(), second.client()];
    for (let index = 0; index < 300; index++) {
      await publishers[index % 3]?.publish(subject, `m${index}`);
    }
    for (const subscription of subscriptions) {
      const received = await subscription.messages;
      expect(received.map((message) => message.id)).toEqual(
        Array.from({ length: 300 }, (_, i) => i + 1),
      );
      expect(received.map((message) => message.body.toString())).toEqual(
        Array.from({ length: 300 }, (_, i) => `m${i}`),
      );
    }
  });

  it("replays from start_id through a non-owner, then continues live", async () => {
    const subject = uniqueSubject("fwd.replay");
    const { owner, first } = roles(subject);
    for (let index = 0; index < 10; index++) await owner.client().publish(subject, `m${index}`);
    const subscription = collect(first, subject, 15, 4);
    await subscription.subscribed;
    for (let index = 10; index < 18; index++) await first.client().publish(subject, `m${index}`);
    expect((await subscription.messages).map((message) => message.id)).toEqual(
      Array.from({ length: 15 }, (_, i) => i + 4),
    );
  });

  it("streams publishes through a non-owner keeping each subject's order and ids", async () => {
    const subjects = Array.from({ length: 6 }, (_, index) => uniqueSubject(`fwd.stream${index}`));
    const member = cluster.members[0];
    if (member === undefined) throw new Error("no member");
    const subscriptions = subjects.map((subject) => collect(member, subject, 100));
    await Promise.all(subscriptions.map((subscription) => subscription.subscribed));
    const publisher = member.client().publisher();
    // Bodies of mixed sizes, so a concurrent forward of a large one could be overtaken.
    const body = (index: number) => `m${index};`.padEnd(index % 5 === 0 ? 48_000 : 0, "x");
    const ids = await Promise.all(
      Array.from({ length: 600 }, (_, index) =>
        publisher.publish(subjects[index % subjects.length] ?? "", body(index)),
      ),
    );
    await publisher.close();
    expect(subjects.some((subject) => cluster.ownerOf(subject, membership()) !== member)).toBe(
      true,
    );
    for (const [position, subscription] of subscriptions.entries()) {
      const expected = Array.from({ length: 100 }, (_, i) => i + 1);
      expect(ids.filter((_, index) => index % subjects.length === position)).toEqual(expected);
      const received = await subscription.messages;
      expect(received.map((message) => message.id)).toEqual(expected);
      expect(received.map((message) => message.body.toString())).toEqual(
        expected.map((id) => body((id - 1) * subjects.length + position)),
      );
    }
  });

  it("refuses on a non-owner a Subscribe whose subject is not text, before any relay", async () => {
    const subject = `${uniqueSubject("fwd.bad")}\u0000`;
    const { first } = roles(subject);
    await expectStatus(
      subscribe(first.client(), subject, 1).messages,
      status.INVALID_ARGUMENT,
      /control character U\+0000/,
    );
  });

  it("reports the adopted epoch and answers ready", () => {
    for (const member of cluster.members) {
      expect(member.broker.ready()).toBe(true);
      expect(member.broker.cluster()).toEqual({
        epoch: 1,
        members: membership().members,
        self: member.member.name,
      });
    }
  });
});

async function metric(member: TestCluster["members"][number], name: string): Promise<number> {
  const values = (await member.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.reduce((sum, { value }) => sum + value, 0);
}

/** method_count and the observations of method_duration_seconds, over every method. */
async function methodCalls(member: TestCluster["members"][number]) {
  const durations = await member.registry.getSingleMetric("method_duration_seconds")?.get();
  // A histogram's values are its buckets, sum and count, told apart by metricName.
  const timed = (durations?.values ?? [])
    .filter(
      (value) => "metricName" in value && value.metricName === "method_duration_seconds_count",
    )
    .reduce((sum, { value }) => sum + value, 0);
  return { counted: await metric(member, "method_count"), timed };
}

function collect(
  member: TestCluster["members"][number],
  subject: string,
  count: number,
  startId?: number,
) {
  let markSubscribed: () => void = () => undefined;
  const subscribed = new Promise<void>((resolve) => (markSubscribed = resolve));
  const messages = (async () => {
    const received: ReceivedMessage[] = [];
    for await (const message of member.client().subscribe(subject, {
      startId,
      onSubscribed: markSubscribed,
    })) {
      received.push(message);
      if (received.length === count) break;
    }
    return received;
  })();
  return { subscribed: Promise.race([subscribed, messages.then(() => undefined)]), messages };
}

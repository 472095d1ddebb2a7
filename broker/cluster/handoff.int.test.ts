/**
 * Epoch changes on three in-process brokers sharing one PostgreSQL schema:
 * publishes racing membership changes, live subscribers across them, and a
 * new owner whose predecessor is gone; and idempotency keys across a
 * scale-down handoff on PostgreSQL and Cassandra.
 */
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { HeraldClient, PublishOptions } from "../client/herald-client.ts";
import { uniqueSubject } from "../test/harness.ts";
import { brokerTestStores } from "../test/test-stores.ts";
import type { Member } from "./membership/membership.ts";
import { startTestCluster, type TestCluster } from "./test/cluster-harness.ts";
import { until } from "../../testing/until.ts";

const stores = brokerTestStores(inject("testEnv"), "postgres", "herald_cluster_handoff");
const clusters: TestCluster[] = [];
afterAll(async () => {
  await Promise.all(clusters.map((cluster) => cluster.stop()));
  await stores.drop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isUnavailable = (err: unknown) => (err as ServiceError).code === status.UNAVAILABLE;

/** Publishes until it is acknowledged, retrying UNAVAILABLE (an epoch change in progress). */
async function publishAcked(
  client: HeraldClient,
  subject: string,
  body: string,
  options?: PublishOptions,
): Promise<number> {
  for (;;) {
    try {
      return await client.publish(subject, body, options);
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      await sleep(20);
    }
  }
}

/** A live subscriber from id 1 that resumes by id, keeping every id and body it receives. */
function follow(client: HeraldClient, subject: string) {
  const controller = new AbortController();
  const received: { id: number; body: string }[] = [];
  const done = (async () => {
    for await (const message of client.subscribe(subject, {
      startId: 1,
      resume: true,
      signal: controller.signal,
    })) {
      received.push({ id: message.id, body: message.body.toString() });
    }
  })();
  return { received, stop: () => controller.abort(), done };
}

describe("epoch handoff", () => {
  it("keeps ids unique, acknowledged messages fetchable and subscribers gapless while publishes race epoch changes", async () => {
    const cluster = await startTestCluster(3, () => stores.newStore(), { prefix: "race" });
    clusters.push(cluster);
    const [m0, m1, m2] = cluster.members.map((member) => member.member) as [Member, Member, Member];
    const subjects = Array.from({ length: 12 }, (_, index) => uniqueSubject(`race${index}`));
    const followers = subjects.flatMap((subject) =>
      cluster.members.map((member) => ({ subject, ...follow(member.client(), subject) })),
    );
    await sleep(200);

    const acked = new Map<string, Map<number, string>>(
      subjects.map((subject) => [subject, new Map()]),
    );
    let publishing = true;
    // Several concurrent publishers per subject, through every member, so publishes are in flight at each change.
    const publishers = subjects.flatMap((subject, index) =>
      Array.from({ length: 6 }, async (_, lane) => {
        const clients = cluster.members.map((member) => member.client());
        for (let n = 0; publishing; n++) {
          const body = `${subject}#${lane}.${n}`;
          const id = await publishAcked(
            clients[(index + lane + n) % clients.length] as HeraldClient,
            subject,
            body,
          );
          const ids = acked.get(subject);
          expect(ids?.has(id), `id ${id} of ${subject} acknowledged twice`).toBe(false);
          ids?.set(id, body);
        }
      }),
    );

    // Scale down to two members (the third stays up, as a leaving pod does), back to three, then move twice more.
    for (const members of [
      [m0, m1],
      [m0, m1, m2],
      [m1, m2],
      [m0, m2],
      [m0, m1, m2],
    ]) {
      await sleep(200);
      cluster.publish({ epoch: (cluster.members[0]?.broker.cluster().epoch ?? 0) + 1, members });
    }
    await sleep(300);
    publishing = false;
    await Promise.all(publishers);

    const fetcher = cluster.members[0]?.client() as HeraldClient;
    for (const subject of subjects) {
      const ids = acked.get(subject) ?? new Map<number, string>();
      expect(ids.size).toBeGreaterThan(5);
      for (const [id, body] of ids)
        expect((await fetcher.fetch(subject, id)).body.toString()).toBe(body);
    }
    for (const follower of followers) {
      const ids = acked.get(follower.subject) ?? new Map<number, string>();
      const last = Math.max(...ids.keys());
      await until(
        "the follower to receive the last message",
        () => (follower.received.at(-1)?.id ?? 0) >= last,
        { timeoutMs: 15_000 },
      );
      follower.stop();
      const seen = follower.received.map((message) => message.id);
      // In order, no duplicate, and every acknowledged message with its body.
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(new Set(seen).size).toBe(seen.length);
      const bodies = new Map(follower.received.map((message) => [message.id, message.body]));
      for (const [id, body] of ids) expect(bodies.get(id), `${follower.subject}#${id}`).toBe(body);
    }
    for (const member of cluster.members) expect(member.broker.cluster().epoch).toBe(6);
  });

  it("moves the live subscribers of a subject that had no publish on its old owner", async () => {
    const cluster = await startTestCluster(3, () => stores.newStore(), { prefix: "idle" });
    clusters.push(cluster);
    const initial = { epoch: 1, members: cluster.members.map((member) => member.member) };
    const [first, second, third] = cluster.members;
    if (first === undefined || second === undefined || third === undefined) {
      throw new Error("three members");
    }
    let subject = uniqueSubject("idle");
    while (cluster.ownerOf(subject, initial) !== third) subject = uniqueSubject("idle");
    const onOldOwner = follow(third.client(), subject);
    const onOther = follow(second.client(), subject);
    await sleep(200);

    // The old owner leaves the membership but keeps serving its clients, as a pod being scaled away does.
    cluster.publish({ epoch: 2, members: [first.member, second.member] });
    for (let n = 1; n <= 3; n++)
      expect(await publishAcked(first.client(), subject, `m${n}`)).toBe(n);
    await until(
      "both subscribers to receive three messages",
      () => onOldOwner.received.length >= 3 && onOther.received.length >= 3,
      { timeoutMs: 10_000 },
    );
    onOldOwner.stop();
    onOther.stop();
    const expected = [1, 2, 3].map((id) => ({ id, body: `m${id}` }));
    expect(onOldOwner.received).toEqual(expected);
    expect(onOther.received).toEqual(expected);
  });

  it("never forwards a forwarded call twice: members whose epochs disagree answer UNAVAILABLE until they agree", async () => {
    const cluster = await startTestCluster(3, () => stores.newStore(), {
      prefix: "loop",
      handoffTimeoutMs: 300,
    });
    clusters.push(cluster);
    const [first, second, third] = cluster.members;
    if (first === undefined || second === undefined || third === undefined) {
      throw new Error("three members");
    }
    const initial = { epoch: 1, members: cluster.members.map((member) => member.member) };
    const next = { epoch: 2, members: [first.member, second.member] };
    let subject = uniqueSubject("loop");
    while (
      cluster.ownerOf(subject, initial) !== third ||
      cluster.ownerOf(subject, next) !== second
    ) {
      subject = uniqueSubject("loop");
    }
    // Only `first` has adopted epoch 2: it forwards to `second`, which still believes `third` owns the subject.
    first.source.update(next);
    await expect(first.client().publish(subject, "early")).rejects.toMatchObject({
      code: status.UNAVAILABLE,
      details: expect.stringMatching(/^not owner:/) as string,
    });
    expect(
      await third
        .client()
        .fetch(subject, 1)
        .catch((err: ServiceError) => err.code),
    ).toBe(status.INVALID_ARGUMENT);
    second.source.update(next);
    third.source.update(next);
    expect(await publishAcked(first.client(), subject, "agreed")).toBe(1);
    expect((await third.client().fetch(subject, 1)).body.toString()).toBe("agreed");
  });

  it("continues above the store's last id when the old owner is gone", async () => {
    const cluster = await startTestCluster(3, () => stores.newStore(), {
      prefix: "gone",
      handoffTimeoutMs: 1000,
    });
    clusters.push(cluster);
    const initial = { epoch: 1, members: cluster.members.map((member) => member.member) };
    const [first, second, third] = cluster.members;
    if (first === undefined || second === undefined || third === undefined)
      throw new Error("three members");
    let subject = uniqueSubject("gone");
    while (cluster.ownerOf(subject, initial) !== third) subject = uniqueSubject("gone");

    const follower = follow(second.client(), subject);
    const client = first.client();
    for (let n = 1; n <= 5; n++) expect(await client.publish(subject, `m${n}`)).toBe(n);

    await third.stop();
    await expect(client.publish(subject, "while gone")).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
    cluster.publish({ epoch: 2, members: [first.member, second.member] });

    expect(await publishAcked(client, subject, "m6")).toBe(6);
    expect(await publishAcked(second.client(), subject, "m7")).toBe(7);
    expect((await second.client().fetch(subject, 3)).body.toString()).toBe("m3");
    await until("the follower to receive seven messages", () => follower.received.length >= 7, {
      timeoutMs: 15_000,
    });
    follower.stop();
    expect(follower.received).toEqual(
      Array.from({ length: 7 }, (_, index) => ({ id: index + 1, body: `m${index + 1}` })),
    );
  });
});

describe.each(["postgres", "cassandra"] as const)("idempotency keys on %s", (kind) => {
  const keyedStores = brokerTestStores(inject("testEnv"), kind, "herald_handoff_keys");
  afterAll(() => keyedStores.drop());

  it("answers a key stored on the old owner with its id on the new owner after a scale-down handoff", async () => {
    const cluster = await startTestCluster(3, () => keyedStores.newStore(), { prefix: "keyed" });
    try {
      const initial = { epoch: 1, members: cluster.members.map((member) => member.member) };
      const [first, second, third] = cluster.members;
      if (first === undefined || second === undefined || third === undefined)
        throw new Error("three members");
      let subject = uniqueSubject("keyed");
      while (cluster.ownerOf(subject, initial) !== third) subject = uniqueSubject("keyed");
      const keys = ["k1", "k2", "k3"];
      const ids = await Promise.all(
        keys.map((key) => first.client().publish(subject, key, { idempotencyKey: key })),
      );

      cluster.publish({ epoch: 2, members: [first.member, second.member] });
      for (const [index, key] of keys.entries()) {
        expect(await publishAcked(second.client(), subject, key, { idempotencyKey: key })).toBe(
          ids[index],
        );
      }
      expect(await publishAcked(first.client(), subject, "new", { idempotencyKey: "k4" })).toBe(
        Math.max(...ids) + 1,
      );
    } finally {
      await cluster.stop();
    }
  });
});

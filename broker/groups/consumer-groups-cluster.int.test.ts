/**
 * Consumer groups and pattern subscriptions on three in-process brokers sharing one store (PostgreSQL, Cassandra)
 * (broker/README.md#consumer-groups): members on any broker share a group,
 * a wildcard group reaches subjects of every owner, and a membership change
 * under consumption loses nothing acknowledged.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { ConsumedMessage, HeraldClient } from "../client/herald-client.ts";
import { startTestCluster, type TestCluster } from "../cluster/test/cluster-harness.ts";
import { collect } from "../test/expectations.ts";
import { uniqueSubject } from "../test/harness.ts";
import { brokerTestStores, type StoreKind } from "../test/test-stores.ts";
import { until } from "../../testing/until.ts";

const aborts: AbortController[] = [];

const uniqueGroup = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
const group = () => uniqueGroup("grow");

/** Publishes until acknowledged, retrying UNAVAILABLE (an epoch change in progress). */
async function publishAcked(client: HeraldClient, subject: string, body: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.publish(subject, body);
    } catch (err) {
      if ((err as ServiceError).code !== status.UNAVAILABLE || attempt > 100) throw err;
      await sleep(20);
    }
  }
}

/** A member through `client` that acks everything and records what it handled. */
async function worker(client: HeraldClient, group: string, subject: string) {
  const abort = new AbortController();
  aborts.push(abort);
  const seen: ConsumedMessage[] = [];
  let joined!: () => void;
  const hasJoined = new Promise<void>((resolve) => (joined = resolve));
  void client.consume(group, subject, (message) => void seen.push(message), {
    signal: abort.signal,
    onJoined: joined,
    maxInFlight: 8,
    ackWaitMs: 2_000,
  });
  await hasJoined;
  return { seen, stop: () => abort.abort() };
}

const keyOf = (message: { subject: string; id: number }) => `${message.subject}#${message.id}`;

const sharedKinds: readonly StoreKind[] = ["postgres", "cassandra"];

describe.each(sharedKinds)("consumer groups on a cluster on %s", (kind) => {
  const stores = brokerTestStores(inject("testEnv"), kind, "herald_groups_cluster");
  const clusters: TestCluster[] = [];
  afterAll(async () => {
    for (const abort of aborts) abort.abort();
    await Promise.all(clusters.map((cluster) => cluster.stop()));
    await stores.drop();
  });

  it("shares subjects between members on every broker; a wildcard group and a pattern subscription reach every owner", async () => {
    const cluster = await startTestCluster(3, () => stores.newStore(), { prefix: "share" });
    clusters.push(cluster);
    const root = uniqueSubject("spread");
    const subjects = Array.from({ length: 6 }, (_, index) => `${root}.s${index}`);
    const owners = new Set(
      subjects.map(
        (subject) =>
          cluster.ownerOf(subject, { epoch: 1, members: cluster.members.map((m) => m.member) })
            .member.name,
      ),
    );
    expect(owners.size).toBeGreaterThan(1);
    const publisher = cluster.members[0]?.client() as HeraldClient;
    // Published before the group exists: a group with start_id 0 never delivers them, whoever owns them.
    for (const subject of subjects) await publisher.publish(subject, "before");
    const group = uniqueGroup("spread");
    const workers = await Promise.all(
      cluster.members.map((member) => worker(member.client(), group, `${root}.*`)),
    );
    const patternSubscription = collect(
      cluster.members[2]?.client() as HeraldClient,
      `${root}.*`,
      60,
    );
    await patternSubscription.subscribed;
    const published = new Set<string>();
    for (let n = 0; n < 60; n++) {
      const subject = subjects[n % subjects.length] ?? "";
      published.add(keyOf({ subject, id: await publisher.publish(subject, `m${n}`) }));
    }
    const handled = () => workers.flatMap((w) => w.seen);
    await until("every message handled", () => handled().length >= published.size);
    await sleep(300);
    expect(handled().map(keyOf).sort()).toEqual([...published].sort());
    expect(workers.filter((w) => w.seen.length > 0).length).toBeGreaterThan(1);
    const subscribed = await patternSubscription.messages;
    expect(subscribed.map(keyOf).sort()).toEqual([...published].sort());
  });

  it("lists a group with the subjects of every owner, merged by the broker called", async () => {
    const cluster = await startTestCluster(3, () => stores.newStore(), { prefix: "list" });
    clusters.push(cluster);
    const root = uniqueSubject("list");
    const subjects = Array.from({ length: 6 }, (_, index) => `${root}.s${index}`);
    const group = uniqueGroup("list");
    const client = cluster.members[0]?.client() as HeraldClient;
    const abort = new AbortController();
    aborts.push(abort);
    let joined!: () => void;
    const hasJoined = new Promise<void>((resolve) => (joined = resolve));
    // Holds one message per broker that owns a subject, and never finishes it.
    void client.consume(group, `${root}.*`, () => new Promise<void>(() => undefined), {
      signal: abort.signal,
      onJoined: joined,
      maxInFlight: 1,
      ackWaitMs: 60_000,
    });
    await hasJoined;
    for (const subject of subjects) {
      await client.publish(subject, "a");
      await client.publish(subject, "b");
    }
    const membership = { epoch: 1, members: cluster.members.map((member) => member.member) };
    const owners = new Set(
      subjects.map((subject) => cluster.ownerOf(subject, membership).member.name),
    );
    const asker = cluster.members[2]?.client() as HeraldClient;
    const [listed] = await until(
      "every subject with its messages, one held per owner",
      async () => {
        const [info] = await asker.listGroups(group);
        const held = info?.subjects.reduce((sum, subject) => sum + subject.ackPending, 0);
        // Each owner counts a publish once the group's feed has it, which may follow the publish's ack.
        const counted = info?.subjects.every((s) => s.pending + s.ackPending === 2) === true;
        return (
          info?.subjects.length === subjects.length && held === owners.size && counted && [info]
        );
      },
    );
    expect(listed).toMatchObject({ group, subject: `${root}.*`, ackWaitMs: 60_000 });
    expect(listed?.subjects.map((subject) => subject.subject)).toEqual(subjects);
    for (const subject of listed?.subjects ?? []) {
      expect(subject.pending + subject.ackPending).toBe(2);
      expect(subject.lag).toBe(2);
    }
    expect((await asker.listGroups()).map((info) => info.group)).toContain(group);
    abort.abort();
  });

  it("moves the streams a lone member served to every member when the cluster grows", async () => {
    const cluster = await startTestCluster(3, () => stores.newStore(), { prefix: "grow" });
    clusters.push(cluster);
    const all = cluster.members.map((member) => member.member);
    const first = cluster.members[0];
    if (first === undefined) throw new Error("no member");
    cluster.publish({ epoch: 2, members: [first.member] });
    const root = uniqueSubject("grow");
    const subjects = Array.from({ length: 6 }, (_, index) => `${root}.s${index}`);
    const client = first.client();
    let joins = 0;
    const abort = new AbortController();
    aborts.push(abort);
    const consumed: ConsumedMessage[] = [];
    void client.consume(group(), `${root}.*`, (message) => void consumed.push(message), {
      signal: abort.signal,
      onJoined: () => (joins += 1),
    });
    let subscriptions = 0;
    const subscribed: string[] = [];
    void (async () => {
      for await (const message of client.subscribe(`${root}.*`, {
        resume: true,
        signal: abort.signal,
        onSubscribed: () => (subscriptions += 1),
      }))
        subscribed.push(keyOf(message));
    })();
    await until("joined and subscribed alone", () => joins === 1 && subscriptions === 1);
    cluster.publish({ epoch: 3, members: all });
    await until("joined and subscribed again", () => joins === 2 && subscriptions === 2);
    const published = new Set<string>();
    for (const [n, subject] of subjects.entries())
      published.add(keyOf({ subject, id: await publishAcked(client, subject, `m${n}`) }));
    await until("every message consumed and received", () =>
      [...published].every(
        (key) => consumed.some((message) => keyOf(message) === key) && subscribed.includes(key),
      ),
    );
  });

  it("loses nothing acknowledged while the membership goes 3 → 2 → 3 under consumption", async () => {
    const cluster = await startTestCluster(3, () => stores.newStore(), { prefix: "move" });
    clusters.push(cluster);
    const all = cluster.members.map((member) => member.member);
    const root = uniqueSubject("move");
    const subjects = Array.from({ length: 8 }, (_, index) => `${root}.s${index}`);
    const group = uniqueGroup("move");
    // Workers on the two members that stay.
    const workers = await Promise.all(
      cluster.members.slice(0, 2).map((member) => worker(member.client(), group, `${root}.>`)),
    );
    const clients = cluster.members.slice(0, 2).map((member) => member.client());
    const published = new Set<string>();
    let publishing = true;
    const load = (async () => {
      for (let n = 0; publishing && n < 2_000; n++) {
        const subject = subjects[n % subjects.length] ?? "";
        const client = clients[n % clients.length] as HeraldClient;
        published.add(keyOf({ subject, id: await publishAcked(client, subject, `m${n}`) }));
      }
    })();
    await until("some consumption", () => workers.every((w) => w.seen.length > 10));
    cluster.publish({ epoch: 2, members: all.slice(0, 2) });
    await sleep(1_000);
    cluster.publish({ epoch: 3, members: all });
    await sleep(1_000);
    publishing = false;
    await load;
    const handled = () => new Set(workers.flatMap((w) => w.seen.map(keyOf)));
    await until(
      "every published message handled",
      () => [...published].every((key) => handled().has(key)),
      { timeoutMs: 30_000 },
    );
    const dead = await cluster.members[0]
      ?.client()
      .fetch(`$DLQ.${group}.${subjects[0] ?? ""}`, 1)
      .catch(() => undefined);
    expect(dead).toBeUndefined();
  });
});

/**
 * Routing clients on three in-process brokers sharing one PostgreSQL schema: each subject's calls
 * go straight to its owner (no member forwards), a client without routing and a routing client
 * with a stale membership still succeed through forwarding, a routing client follows a scale-down
 * with its handoff without losing an acknowledged message, and all of it over TLS with a token.
 */
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, describe, expect, inject, it } from "vitest";
import {
  type ClusterMember,
  startTestCluster,
  type TestCluster,
} from "../cluster/test/cluster-harness.ts";
import type { Membership } from "../cluster/membership/membership.ts";
import { createCa, issue, serverTls } from "../test/certificates.ts";
import { uniqueSubject } from "../test/harness.ts";
import { tlsWithToken } from "../test/transports.ts";
import { brokerTestStores } from "../test/test-stores.ts";
import { until } from "../../testing/until.ts";
import { HeraldClient, type HeraldClientOptions } from "./herald-client.ts";

const stores = brokerTestStores(inject("testEnv"), "postgres", "herald_routing_client");
const clusters: TestCluster[] = [];
const clients: HeraldClient[] = [];
afterAll(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(clusters.map((cluster) => cluster.stop()));
  await stores.drop();
});

async function cluster3(prefix: string, options: Parameters<typeof startTestCluster>[2] = {}) {
  const cluster = await startTestCluster(3, () => stores.newStore(), { prefix, ...options });
  clusters.push(cluster);
  return cluster;
}

function routingClient(seed: ClusterMember, options: HeraldClientOptions = {}): HeraldClient {
  const client = new HeraldClient(seed.member.address, {
    resubscribeDelayMs: 50,
    ...options,
    routing: true,
  });
  clients.push(client);
  return client;
}

async function metric(member: ClusterMember, name: string): Promise<number> {
  const values = (await member.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.reduce((sum, { value }) => sum + value, 0);
}

/** Calls forwarded to an owner, summed over the members. */
const forwarded = async (cluster: TestCluster) =>
  (await Promise.all(cluster.members.map((m) => metric(m, "herald_forwarded_calls_total")))).reduce(
    (sum, value) => sum + value,
    0,
  );

const initialOf = (cluster: TestCluster): Membership => ({
  epoch: 1,
  members: cluster.members.map((member) => member.member),
});

/** A subject that `owner` owns in `membership` (and, if given, `next` owns in `then`). */
function subjectOwnedBy(
  cluster: TestCluster,
  prefix: string,
  owner: ClusterMember,
  membership: Membership,
  then?: { next: ClusterMember; membership: Membership },
): string {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const subject = uniqueSubject(prefix);
    if (cluster.ownerOf(subject, membership) !== owner) continue;
    if (then === undefined || cluster.ownerOf(subject, then.membership) === then.next)
      return subject;
  }
  throw new Error(`no subject of ${owner.member.name} found`);
}

const isUnavailable = (err: unknown) => (err as ServiceError).code === status.UNAVAILABLE;

/** Publishes until acknowledged: UNAVAILABLE while a member leaves is repeated with the same key. */
async function publishAcked(client: HeraldClient, subject: string, body: string): Promise<number> {
  const idempotencyKey = `${subject}/${body}`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.publish(subject, body, { idempotencyKey });
    } catch (err) {
      if (!isUnavailable(err) || attempt >= 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe("a routing client", () => {
  it("sends every subject's publishes, streams, fetches and subscriptions to its owner: no member forwards", async () => {
    const cluster = await cluster3("own");
    const [seed] = cluster.members as [ClusterMember];
    const client = routingClient(seed);
    expect(await client.routingEpoch()).toBe(1);
    const subjects = Array.from({ length: 24 }, (_, index) => uniqueSubject(`own${index}`));
    const publishedBefore = await Promise.all(
      cluster.members.map((member) => metric(member, "herald_messages_published_total")),
    );

    const subscription = client.subscribe(subjects[0] ?? "", { startId: 1 });
    const publisher = client.publisher();
    const ids = await Promise.all(
      subjects.map(async (subject) => [
        await client.publish(subject, "unary"),
        ...(await client.publishBatch([
          { subject, body: "batch a" },
          { subject, body: "batch b" },
        ])),
        await publisher.publish(subject, "streamed"),
      ]),
    );
    await publisher.close();
    for (const subjectIds of ids) expect(subjectIds).toEqual([1, 2, 3, 4]);
    for (const subject of subjects)
      expect((await client.fetch(subject, 4)).body.toString()).toBe("streamed");
    const received = [];
    for await (const message of subscription) {
      received.push(message.body.toString());
      if (received.length === 4) break;
    }
    expect(received).toEqual(["unary", "batch a", "batch b", "streamed"]);

    expect(await forwarded(cluster)).toBe(0);
    // Each member stored exactly the messages of the subjects it owns.
    const owned = cluster.members.map(
      (member) =>
        subjects.filter((subject) => cluster.ownerOf(subject, initialOf(cluster)) === member)
          .length * 4,
    );
    const publishedAfter = await Promise.all(
      cluster.members.map((member) => metric(member, "herald_messages_published_total")),
    );
    expect(publishedAfter.map((value, index) => value - (publishedBefore[index] ?? 0))).toEqual(
      owned,
    );
  });

  it("works through forwarding where it does not route: without routing, and with a stale membership", async () => {
    const cluster = await cluster3("stale", { handoffTimeoutMs: 500 });
    const [m0, m1, m2] = cluster.members as [ClusterMember, ClusterMember, ClusterMember];
    const two: Membership = { epoch: 2, members: [m0.member, m1.member] };
    const three: Membership = { epoch: 3, members: [m0.member, m1.member, m2.member] };
    cluster.publish(two);

    // A client without routing: the member it calls forwards.
    const viaSeed = new HeraldClient(m0.member.address);
    clients.push(viaSeed);
    expect(await viaSeed.routingEpoch()).toBe(-1);
    const elsewhere = subjectOwnedBy(cluster, "stale.plain", m1, two);
    expect(await viaSeed.publish(elsewhere, "forwarded")).toBe(1);
    expect(await metric(m0, "herald_forwarded_calls_total")).toBe(1);

    // Two routing clients learn epoch 2 from the seed.
    const early = routingClient(m0);
    const late = routingClient(m0);
    expect(await early.routingEpoch()).toBe(2);
    expect(await late.routingEpoch()).toBe(2);

    // The seed stays at epoch 2 while the others grow to 3; a subject m1 keeps (and has published
    // before, so it needs no handoff) is still routed right, and its answer names epoch 3, which
    // the client then asks the members it knows for.
    const kept = subjectOwnedBy(cluster, "stale.kept", m1, two, { next: m1, membership: three });
    expect(await early.publish(kept, "before")).toBe(1);
    m1.source.update(three);
    m2.source.update(three);
    expect(await early.publish(kept, "after")).toBe(2);
    await until("the client to route by epoch 3", async () => (await early.routingEpoch()) === 3);
    m0.source.update(three);

    // The other client still routes by epoch 2: m1 forwards to the new owner, and the client follows.
    const moved = subjectOwnedBy(cluster, "stale.moved", m1, two, { next: m2, membership: three });
    expect(await late.publish(moved, "m1")).toBe(1);
    expect(await metric(m1, "herald_forwarded_calls_total")).toBe(1);
    await until("the client to route by epoch 3", async () => (await late.routingEpoch()) === 3);
    const forwardedBefore = await forwarded(cluster);
    for (let n = 2; n <= 5; n++) {
      const client = n % 2 === 0 ? early : late;
      expect(await client.publish(moved, `m${n}`)).toBe(n);
    }
    expect((await late.fetch(moved, 5)).body.toString()).toBe("m5");
    expect(await forwarded(cluster)).toBe(forwardedBefore);
  });

  it("follows a scale-down from three members to two with its handoff: ids continue and no acknowledged message is lost", async () => {
    const cluster = await cluster3("down");
    const [m0, m1, m2] = cluster.members as [ClusterMember, ClusterMember, ClusterMember];
    const initial = initialOf(cluster);
    const next: Membership = { epoch: 2, members: [m0.member, m1.member] };
    const client = routingClient(m0);
    expect(await client.routingEpoch()).toBe(1);
    // Subjects of the leaving member, and others.
    const leaving = Array.from({ length: 6 }, (_, index) =>
      subjectOwnedBy(cluster, `down.leaving${index}`, m2, initial),
    );
    const staying = Array.from({ length: 6 }, (_, index) => uniqueSubject(`down.staying${index}`));
    const subjects = [...leaving, ...staying];
    const followed = leaving[0] ?? "";
    const follower = (async () => {
      const seen: number[] = [];
      for await (const message of client.subscribe(followed, { startId: 1, resume: true })) {
        seen.push(message.id);
        if (seen.length === 40) break;
      }
      return seen;
    })();

    const acked = new Map<string, Map<number, string>>(subjects.map((s) => [s, new Map()]));
    const publishRound = async (round: number) => {
      await Promise.all(
        subjects.map(async (subject) => {
          const body = `${subject}#${round}`;
          const id = await publishAcked(client, subject, body);
          const ids = acked.get(subject);
          expect(ids?.has(id), `id ${id} of ${subject} acknowledged twice`).toBe(false);
          ids?.set(id, body);
        }),
      );
    };
    for (let round = 0; round < 10; round++) await publishRound(round);
    // The leaving member hands its subjects off and keeps serving for a while, as a pod does.
    cluster.publish(next);
    for (let round = 10; round < 20; round++) await publishRound(round);
    expect(await client.routingEpoch()).toBe(2);
    // Then it is gone: the client reaches only the two members.
    await m2.stop();
    for (let round = 20; round < 30; round++) await publishRound(round);
    const forwardedBefore = await forwarded(cluster);
    for (let round = 30; round < 40; round++) await publishRound(round);
    expect(await forwarded(cluster)).toBe(forwardedBefore);

    for (const subject of subjects) {
      const ids = acked.get(subject) ?? new Map<number, string>();
      // Every acknowledged message is stored, under one id each, and ids went on from 1 to 40.
      expect([...ids.keys()].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 40 }, (_, index) => index + 1),
      );
      for (const [id, body] of ids)
        expect((await client.fetch(subject, id)).body.toString()).toBe(body);
    }
    expect(await follower).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
  });
});

describe("a routing client over TLS with a token", () => {
  it("routes to each owner, and ClusterMembers needs an authenticated caller", async () => {
    const members = createCa("herald-routing-members");
    // The suites' auth file: one user with a token that may do everything.
    const suite = tlsWithToken();
    const authFile = suite.settings.security?.authFile;
    const token = suite.client.token;
    const cluster = await cluster3("tls", {
      security: (name) => ({
        tls: serverTls(issue(members, name), { clusterCaFile: members.certFile }),
        authFile,
        jwt: undefined,
        reloadIntervalMs: 2000,
      }),
    });
    const [seed] = cluster.members as [ClusterMember];
    const client = routingClient(seed, { tls: { ca: members.pem }, token });
    expect(await client.routingEpoch()).toBe(1);
    const subjects = Array.from({ length: 12 }, (_, index) => uniqueSubject(`tls${index}`));
    const publisher = client.publisher();
    for (const subject of subjects) {
      expect(await client.publish(subject, "unary")).toBe(1);
      expect(await publisher.publish(subject, "streamed")).toBe(2);
      expect((await client.fetch(subject, 2)).body.toString()).toBe("streamed");
    }
    await publisher.close();
    expect(await forwarded(cluster)).toBe(0);

    // Without the token nothing is learned: every call goes to the seed, which refuses it.
    const anonymous = routingClient(seed, { tls: { ca: members.pem } });
    expect(await anonymous.routingEpoch()).toBe(-1);
    await expect(anonymous.publish(subjects[0] ?? "", "x")).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
  });
});

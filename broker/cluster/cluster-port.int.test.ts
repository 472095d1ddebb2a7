/**
 * The cluster port (HERALD_CLUSTER_ADDR): members call each other there, the client port refuses
 * calls marked as forwarded and does not serve the Cluster service, the cluster port refuses
 * clients; without it, the client port serves both as before. Two in-process brokers on one
 * PostgreSQL schema.
 */
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BrokerClient, type PublishResponse } from "../api/gen/broker.ts";
import { ClusterClient, type HandoffResponse } from "../api/gen/cluster.ts";
import { expectStatus } from "../test/expectations.ts";
import { uniqueSubject } from "../test/harness.ts";
import { brokerTestStores } from "../test/test-stores.ts";
import { forwardedEpochKey } from "./forwarded-metadata.ts";
import { startTestCluster, type TestCluster } from "./test/cluster-harness.ts";

const stores = brokerTestStores(inject("testEnv"), "postgres", "herald_cluster_port");
const raw: { close(): void }[] = [];

afterAll(async () => {
  for (const client of raw.splice(0)) client.close();
  await stores.drop();
});

/** A Publish sent by hand, `forwarded` marking it as a member's. */
function rawPublish(address: string, subject: string, forwarded: boolean) {
  const client = new BrokerClient(address, credentials.createInsecure());
  raw.push(client);
  const metadata = new Metadata();
  if (forwarded) metadata.set(forwardedEpochKey, "1");
  return new Promise<PublishResponse>((resolve, reject) =>
    client.publish(
      { subject, body: Buffer.from("raw"), expirationSeconds: 0, idempotencyKey: "" },
      metadata,
      { deadline: Date.now() + 5_000 },
      (err, response) => (err === null ? resolve(response) : reject(err)),
    ),
  );
}

function rawHandoff(address: string) {
  const client = new ClusterClient(address, credentials.createInsecure());
  raw.push(client);
  return new Promise<HandoffResponse>((resolve, reject) =>
    client.handoff(
      { subject: "x", epoch: 1 },
      new Metadata(),
      { deadline: Date.now() + 5_000 },
      (err, response) => (err === null ? resolve(response) : reject(err)),
    ),
  );
}

/** Publishes through the member that does not own each subject, so every call is forwarded. */
async function publishThroughNonOwners(cluster: TestCluster, count: number) {
  const membership = { epoch: 1, members: cluster.members.map((m) => m.member) };
  for (let index = 0; index < count; index++) {
    const subject = uniqueSubject(`port.forwarded${index}`);
    const owner = cluster.ownerOf(subject, membership);
    const other = cluster.members.find((member) => member !== owner);
    expect(await other?.client().publish(subject, "via a member")).toBe(1);
    expect((await owner.client().fetch(subject, 1)).body.toString()).toBe("via a member");
  }
}

describe("with a cluster port", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    const store = stores.newStore();
    cluster = await startTestCluster(2, () => store, { prefix: "port" });
  });
  afterAll(() => cluster?.stop());

  it("forwards between members over their cluster ports", async () => {
    for (const member of cluster.members) {
      expect(member.member.clusterAddress).toBe(`127.0.0.1:${member.broker.clusterPort}`);
    }
    await publishThroughNonOwners(cluster, 6);
  });

  it("refuses on the client port a call marked as forwarded, and does not serve Cluster there", async () => {
    const [member] = cluster.members;
    const address = member?.member.address ?? "";
    await expectStatus(
      rawPublish(address, uniqueSubject("port.spoofed"), true),
      status.UNAVAILABLE,
      /served on the cluster port/,
    );
    await expectStatus(rawHandoff(address), status.UNIMPLEMENTED);
    expect((await rawPublish(address, uniqueSubject("port.client"), false)).id).toBeGreaterThan(0);
  });

  it("refuses a client's call on the cluster port", async () => {
    const [member] = cluster.members;
    await expectStatus(
      rawPublish(member?.member.clusterAddress ?? "", uniqueSubject("port.client"), false),
      status.PERMISSION_DENIED,
      /clients use the gRPC port/,
    );
  });
});

describe("without a cluster port", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    const store = stores.newStore();
    cluster = await startTestCluster(2, () => store, { prefix: "shared", sharedPort: true });
  });
  afterAll(() => cluster?.stop());

  it("forwards and hands off over the client port", async () => {
    expect(cluster.members.map((member) => member.broker.clusterPort)).toEqual([
      undefined,
      undefined,
    ]);
    await publishThroughNonOwners(cluster, 6);
    // Served: the Cluster service answers (here that it does not own the subject), not UNIMPLEMENTED.
    const answer = await rawHandoff(cluster.members[0]?.member.address ?? "").then(
      () => status.OK,
      (err: ServiceError) => err.code,
    );
    expect(answer).not.toBe(status.UNIMPLEMENTED);
  });
});

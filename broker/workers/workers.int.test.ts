/**
 * Pods of several workers, as real processes on PostgreSQL (docs/architecture.md#workers): each
 * worker owns the subjects rendezvous hashing gives its member `<pod>~<i>`, a call on the shared
 * port reaching the wrong worker is forwarded, a routing client reaches owners directly, the pod
 * follows epoch changes of its membership ConfigMap without losing an acknowledged publish, a
 * killed worker is started again, and SIGTERM drains every worker.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Membership, membershipConfigMapKey, type Member } from "../../contract/membership.ts";
import { workerMemberName } from "../../contract/ports.ts";
import { freePort, freePortRange } from "../../testing/free-port.ts";
import { connect, createNamespace } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";
import { HeraldClient } from "../client/herald-client.ts";
import { rendezvousOwner } from "../cluster/hrw.ts";
import { type BrokerProcess, startBrokerProcess } from "../test/broker-process.ts";
import { uniqueSubject } from "../test/harness.ts";
import { brokerTestStores } from "../test/test-stores.ts";

const env = inject("testEnv");
const kube = connect(env);
const stores = brokerTestStores(env, "postgres", "herald_workers");
const configMapName = "workers-membership";
const workers = 2;
let namespace: string;
let kubeconfigFile: string;

/** One pod: its primary process and where its workers listen. */
interface Pod {
  readonly name: string;
  readonly process: BrokerProcess;
  readonly grpcBase: number;
  readonly members: readonly Member[];
  /** The shared gRPC port every worker serves. */
  readonly address: string;
}

const pods: Pod[] = [];
const clients: HeraldClient[] = [];

beforeAll(async () => {
  namespace = (await createNamespace(kube, "workers")).name;
  kubeconfigFile = join(tmpdir(), `herald-workers-${process.pid}.kubeconfig`);
  writeFileSync(kubeconfigFile, kube.kubeConfig.exportConfig());
});

afterAll(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const pod of pods) pod.process.child.kill("SIGKILL");
  await Promise.all(pods.map((pod) => pod.process.exited));
  await stores.drop();
});

async function publishMembership(membership: Membership): Promise<void> {
  const body = {
    metadata: { name: configMapName, namespace },
    data: { [membershipConfigMapKey]: JSON.stringify(membership) },
  };
  await kube.core
    .replaceNamespacedConfigMap({ name: configMapName, namespace, body })
    .catch(() => kube.core.createNamespacedConfigMap({ namespace, body }));
}

/** The members a pod's workers will be, on ranges of free ports. */
async function podMembers(name: string) {
  const grpcBase = await freePortRange(workers);
  const clusterBase = await freePortRange(workers);
  const members = Array.from({ length: workers }, (_, index) => ({
    name: workerMemberName(name, index),
    address: `127.0.0.1:${grpcBase + index}`,
    clusterAddress: `127.0.0.1:${clusterBase + index}`,
  }));
  return { grpcBase, clusterBase, members };
}

async function startPod(name: string, ports: Awaited<ReturnType<typeof podMembers>>) {
  const sharedPort = await freePort();
  const process = await startBrokerProcess({
    HERALD_WORKERS: String(workers),
    HERALD_GRPC_ADDR: `127.0.0.1:${sharedPort}`,
    HERALD_WORKER_GRPC_ADDR: `127.0.0.1:${ports.grpcBase}`,
    HERALD_WORKER_CLUSTER_ADDR: `127.0.0.1:${ports.clusterBase}`,
    HERALD_MEMBERSHIP_CONFIGMAP: configMapName,
    POD_NAMESPACE: namespace,
    POD_NAME: name,
    KUBECONFIG: kubeconfigFile,
    HERALD_STORE: "postgres",
    HERALD_POSTGRES_URL: env.postgres.url,
    HERALD_POSTGRES_SCHEMA: stores.namespace,
  });
  const pod = {
    name,
    process,
    grpcBase: ports.grpcBase,
    members: ports.members,
    address: `127.0.0.1:${sharedPort}`,
  };
  pods.push(pod);
  return pod;
}

async function readyz(pod: Pod): Promise<{ status: number; body: string }> {
  const response = await fetch(`${pod.process.httpUrl}/readyz`);
  return { status: response.status, body: await response.text() };
}

/** The pod's /cluster: the lowest epoch its workers adopted, and each worker's view. */
async function clusterOf(pod: Pod): Promise<{ epoch: number; workers: unknown[] }> {
  return (await (await fetch(`${pod.process.httpUrl}/cluster`)).json()) as {
    epoch: number;
    workers: unknown[];
  };
}

/** The sum of a metric's samples on the pod's /metrics, for one worker or all. */
async function metric(pod: Pod, name: string, worker?: number): Promise<number> {
  const text = await (await fetch(`${pod.process.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    if (worker !== undefined && !(match[2] ?? "").includes(`worker="${worker}"`)) continue;
    sum += Number(match[3]);
  }
  return sum;
}

function client(address: string, routing = false): HeraldClient {
  const made = new HeraldClient(address, { routing });
  clients.push(made);
  return made;
}

const isUnavailable = (err: unknown) => (err as ServiceError).code === status.UNAVAILABLE;

/** Publishes until acknowledged: UNAVAILABLE while ownership moves is repeated with the same key. */
async function publishAcked(to: HeraldClient, subject: string, body: string): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await to.publish(subject, body, { idempotencyKey: `${subject}/${body}` });
    } catch (err) {
      if (!isUnavailable(err) || attempt >= 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe("a pod of two workers", () => {
  let pod: Pod;
  let membership: Membership;

  beforeAll(async () => {
    const ports = await podMembers("wa");
    membership = { epoch: 1, members: [...ports.members] };
    await publishMembership(membership);
    pod = await startPod("wa", ports);
    await until("the pod ready", async () => (await readyz(pod)).status === 200, {
      timeoutMs: 20_000,
    });
  });

  it("is ready once every worker adopted the epoch, and /cluster reports each worker", async () => {
    expect(await readyz(pod)).toEqual({ status: 200, body: "ready\n" });
    const cluster = await clusterOf(pod);
    expect(cluster.epoch).toBe(1);
    expect(cluster.workers).toHaveLength(workers);
  });

  it("serves each subject at its owner: the owner's own port answers locally, any other forwards", async () => {
    const subjects = Array.from({ length: 20 }, (_, index) => uniqueSubject(`own${index}`));
    const forwardedBefore = await metric(pod, "herald_forwarded_calls_total");
    const direct = pod.members.map((member) => client(member.address));
    for (const subject of subjects) {
      const owner = rendezvousOwner(subject, membership.members);
      const ownerIndex = pod.members.findIndex((member) => member.name === owner?.name);
      const other = (ownerIndex + 1) % workers;
      expect(await direct[ownerIndex]?.publish(subject, "at the owner")).toBe(1);
      expect(await direct[other]?.publish(subject, "forwarded")).toBe(2);
    }
    // Exactly the calls sent to the non-owning worker were forwarded, whichever worker that was.
    expect((await metric(pod, "herald_forwarded_calls_total")) - forwardedBefore).toBe(
      subjects.length,
    );
    for (const index of pod.members.keys()) {
      expect(await metric(pod, "herald_forwarded_calls_total", index)).toBeGreaterThan(0);
    }
    const shared = client(pod.address);
    for (const subject of subjects) {
      expect((await shared.fetch(subject, 2)).body.toString()).toBe("forwarded");
    }
  });

  it("lets a routing client reach every owner directly: nothing is forwarded", async () => {
    const routing = client(pod.address, true);
    expect(await routing.routingEpoch()).toBe(1);
    const forwardedBefore = await metric(pod, "herald_forwarded_calls_total");
    const subjects = Array.from({ length: 20 }, (_, index) => uniqueSubject(`route${index}`));
    for (const subject of subjects) expect(await routing.publish(subject, "routed")).toBe(1);
    expect(await metric(pod, "herald_forwarded_calls_total")).toBe(forwardedBefore);
    const published = await Promise.all(
      pod.members.map((_, index) => metric(pod, "herald_messages_published_total", index)),
    );
    expect(published.every((count) => count > 0)).toBe(true);
  });

  it("follows epoch changes to four workers on two pods and back without losing an acknowledged publish", async () => {
    const second = await podMembers("wb");
    const grown: Membership = { epoch: 2, members: [...pod.members, ...second.members] };
    await publishMembership(grown);
    const other = await startPod("wb", second);
    await until("epoch 2 on every worker", async () => (await clusterOf(pod)).epoch === 2, {
      timeoutMs: 20_000,
    });
    await until("the second pod ready", async () => (await readyz(other)).status === 200, {
      timeoutMs: 20_000,
    });

    const subjects = Array.from({ length: 16 }, (_, index) => uniqueSubject(`epoch${index}`));
    const publisher = client(pod.address);
    const acked = new Map<string, number[]>(subjects.map((subject) => [subject, []]));
    const publishRound = async (round: number) =>
      Promise.all(
        subjects.map(async (subject) => {
          const id = await publishAcked(publisher, subject, `m${round}`);
          acked.get(subject)?.push(id);
        }),
      );
    for (let round = 0; round < 5; round += 1) await publishRound(round);
    // The second pod leaves while publishes go on: its subjects come back to the first pod's workers.
    const shrinking = (async () => {
      await publishMembership({ epoch: 3, members: [...pod.members] });
      await until("epoch 3 on every worker", async () => (await clusterOf(pod)).epoch === 3, {
        timeoutMs: 20_000,
      });
      other.process.child.kill("SIGTERM");
      expect(await other.process.exited).toBe(0);
    })();
    for (let round = 5; round < 15; round += 1) await publishRound(round);
    await shrinking;
    for (let round = 15; round < 20; round += 1) await publishRound(round);

    for (const subject of subjects) {
      const ids = acked.get(subject) ?? [];
      expect(new Set(ids).size).toBe(20);
      for (const [round, id] of ids.entries()) {
        expect((await publisher.fetch(subject, id)).body.toString()).toBe(`m${round}`);
      }
    }
  });

  it("starts a killed worker again; the pod is ready and serves its subjects after", async () => {
    const restartsBefore = await metric(pod, "herald_worker_restarts_total");
    const pid = workerPid(pod, 1);
    process.kill(pid, "SIGKILL");
    await until(
      "a worker restart",
      async () => (await metric(pod, "herald_worker_restarts_total")) > restartsBefore,
      {
        timeoutMs: 20_000,
      },
    );
    await until("the pod ready", async () => (await readyz(pod)).status === 200, {
      timeoutMs: 20_000,
    });
    const direct = client(pod.members[1]?.address ?? "");
    const subject = uniqueSubject("restarted");
    expect(await publishAcked(direct, subject, "after the restart")).toBe(1);
  });

  it("drains every worker on SIGTERM and exits 0", async () => {
    pod.process.child.kill("SIGTERM");
    expect(await pod.process.exited).toBe(0);
    const stopped = pod.process.logs.filter((line) => line.includes('"msg":"broker stopped"'));
    expect(stopped.length).toBeGreaterThanOrEqual(workers);
  });
});

/** The process id of worker `index`, from the primary's latest "worker started" line. */
function workerPid(pod: Pod, index: number): number {
  const line = pod.process.logs.findLast(
    (text) => text.includes('"msg":"worker started"') && text.includes(`"worker":${index}`),
  );
  const pid = line === undefined ? undefined : (JSON.parse(line) as { pid?: number }).pid;
  if (pid === undefined) throw new Error(`no start line of worker ${index}`);
  return pid;
}

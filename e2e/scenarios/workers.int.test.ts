/**
 * Several workers per broker pod (spec.workers) on the real API server, with the process kubelet
 * running real brokers on the test environment's PostgreSQL: one worker renders what it always
 * did; two workers roll the pods while the membership follows each pod as it is replaced; calls
 * reach every worker's own port and are answered for subjects other workers own; a scale waits
 * for every pod's epoch; and back to one worker.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { HeraldClient } from "../../broker/client/herald-client.ts";
import type { Membership } from "../../contract/membership.ts";
import { workerPort } from "../../contract/ports.ts";
import {
  messageBrokerStatusSchema,
  type MessageBrokerSpecInput,
} from "../../operator/api/v1alpha1/index.ts";
import { memberPod } from "../../contract/ports.ts";
import { publishedMembership } from "../../operator/controller/membership.ts";
import { ports } from "../../operator/render/ports.ts";
import { workersAnnotation } from "../../operator/render/workers.ts";
import type { OperatorFixture } from "../../operator/test/operator-fixture.ts";
import { read } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";
import type { ProcessKubelet } from "../kubelet/kubelet.ts";
import { operatorWithKubelet, type OperatorWithKubelet } from "./operator-with-kubelet.ts";

const env = inject("testEnv");
const name = "orders";
let scene: OperatorWithKubelet;
let fixture: OperatorFixture;
let kubelet: ProcessKubelet;

function spec(replicas: number, workers?: number): MessageBrokerSpecInput {
  return {
    replicas,
    ...(workers === undefined ? {} : { workers }),
    tls: { enabled: false },
    auth: { enabled: false },
    storage: scene.storage,
  };
}

async function membership(): Promise<Membership | undefined> {
  const ns = fixture.namespace;
  return publishedMembership(
    await read(fixture.cluster, "v1", "ConfigMap", ns, `${name}-membership`),
  );
}

const memberNames = (current: Membership | undefined) =>
  current?.members.map((member) => member.name) ?? [];

/** The member names of `replicas` pods of `workers` workers each, as the operator names them. */
function expectedMembers(replicas: number, workers: number): string[] {
  return Array.from({ length: replicas }, (_, ordinal) => `${name}-${ordinal}`).flatMap((pod) =>
    workers === 1 ? [pod] : Array.from({ length: workers }, (_, index) => `${pod}~${index}`),
  );
}

/**
 * Settled: these members published, no scale in progress, the StatefulSet rolled out with every
 * pod ready, and each pod's process running.
 */
async function settled(members: string[], timeoutMs = 120_000): Promise<Membership> {
  const replicas = new Set(members.map(memberPod)).size;
  return until(
    `settled with members ${members.join(", ")}`,
    async () => {
      const [current, broker, set] = await Promise.all([
        membership(),
        fixture.readBroker(name),
        read(fixture.cluster, "apps/v1", "StatefulSet", fixture.namespace, name),
      ]);
      const rollout = (set as { status?: Record<string, unknown> } | undefined)?.status;
      const status = messageBrokerStatusSchema.safeParse(broker?.status).data;
      const done =
        JSON.stringify(memberNames(current)) === JSON.stringify(members) &&
        status?.scaling === undefined &&
        status?.readyReplicas === replicas &&
        status.membershipEpoch === current?.epoch &&
        rollout?.updatedReplicas === replicas &&
        rollout.currentRevision === rollout.updateRevision &&
        kubelet.pods().filter((pod) => pod.containers[0]?.pid !== undefined).length === replicas;
      return done ? current : undefined;
    },
    { timeoutMs },
  );
}

/** Samples the published membership until stopped, so that the test sees every member list. */
function membershipRecorder() {
  const seen: Membership[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const current = await membership();
      if (current && current.epoch !== seen.at(-1)?.epoch) seen.push(current);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return seen;
    },
  };
}

/** Each pod's members: the pod alone, or all its workers `<pod>~0…` in order, never a mix. */
function podsWhole(current: Membership): boolean {
  const byPod = Map.groupBy(memberNames(current), memberPod);
  return [...byPod].every(
    ([pod, names]) =>
      (names.length === 1 && names[0] === pod) ||
      names.every((member, index) => member === `${pod}~${index}`),
  );
}

const podIP = (pod: string) => {
  const ip = kubelet.pods().find((info) => info.name === pod)?.podIP;
  if (!ip) throw new Error(`${pod} has no address`);
  return ip;
};

beforeAll(async () => {
  scene = await operatorWithKubelet(env, "workers");
  ({ fixture, kubelet } = scene);
  fixture.startOperator("operator-a");
}, 60_000);

afterAll(() => scene?.teardown(name), 120_000);

describe("workers per broker pod", () => {
  test("one worker per pod: each pod one member, no workers annotation", async () => {
    await fixture.applyBroker(name, spec(2));
    const current = await settled(expectedMembers(2, 1));
    expect(current.members[0]).toEqual({
      name: `${name}-0`,
      address: `${name}-0.${name}-headless.${fixture.namespace}.svc.cluster.local:50051`,
      clusterAddress: `${name}-0.${name}-headless.${fixture.namespace}.svc.cluster.local:50052`,
    });
    const pod = await fixture.cluster.core.readNamespacedPod({
      namespace: fixture.namespace,
      name: `${name}-0`,
    });
    expect(pod.metadata?.annotations).not.toHaveProperty(workersAnnotation);
  }, 180_000);

  test("two workers roll the pods; the membership follows each pod as it is replaced", async () => {
    const before = await membership();
    const watch = membershipRecorder();
    await fixture.applyBroker(name, spec(2, 2));
    const after = await settled(expectedMembers(2, 2), 180_000);
    const seen = await watch.stop();

    expect(seen.every(podsWhole)).toBe(true);
    // One pod replaced at a time, and a replaced pod gets ready only once its workers are
    // published: a list with one pod of each count came between.
    const counts = seen.map((current) => memberNames(current).length);
    expect(counts).toContain(3);
    expect(after.epoch).toBeGreaterThan(before?.epoch ?? 0);
    expect(after.members[1]).toEqual({
      name: `${name}-0~1`,
      address: `${name}-0.${name}-headless.${fixture.namespace}.svc.cluster.local:50101`,
      clusterAddress: `${name}-0.${name}-headless.${fixture.namespace}.svc.cluster.local:50201`,
    });
  }, 240_000);

  test("every worker's own port and the shared port answer for any subject", async () => {
    const addresses = [0, 1].flatMap((ordinal) => {
      const ip = podIP(`${name}-${ordinal}`);
      return [
        `${ip}:${ports.grpc.port}`,
        `${ip}:${workerPort(ports.workerGrpc.port, 0)}`,
        `${ip}:${workerPort(ports.workerGrpc.port, 1)}`,
      ];
    });
    const subjects = Array.from({ length: 8 }, (_, index) => `workers.e2e.${index}`);
    for (const [index, address] of addresses.entries()) {
      // Published through one address, fetched through the next: most subjects are owned
      // elsewhere, so both calls are forwarded between workers and pods.
      const publisher = new HeraldClient(address);
      const fetcher = new HeraldClient(addresses[(index + 1) % addresses.length] ?? address);
      try {
        for (const subject of subjects) {
          const body = `${subject} via ${address}`;
          const id = await publisher.publish(subject, body);
          expect((await fetcher.fetch(subject, id)).body.toString()).toBe(body);
        }
      } finally {
        publisher.close();
        fetcher.close();
      }
    }
  }, 120_000);

  test("scaling 2 → 3 with two workers each publishes the new pod's workers", async () => {
    await fixture.applyBroker(name, spec(3, 2));
    const current = await settled(expectedMembers(3, 2));
    expect(current.members).toHaveLength(6);
  }, 180_000);

  test("back to one worker per pod: the members are the pods again", async () => {
    await fixture.applyBroker(name, spec(3));
    await settled(expectedMembers(3, 1), 240_000);
  }, 300_000);
});

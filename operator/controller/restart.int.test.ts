import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { auditMark, describeWrite, writesSince } from "../test/audit-log.ts";
import {
  condition,
  operatorFixture,
  tail,
  type OperatorFixture,
} from "../test/operator-fixture.ts";
import { waitUntilReconciling, type OperatorProcess } from "../test/operator-process.ts";
import { read } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";

const env = inject("testEnv");
let fixture: OperatorFixture;
let restarted: OperatorProcess;

beforeAll(async () => {
  fixture = await operatorFixture(env, "mb-restart");
});
afterAll(async () => {
  await fixture?.teardown();
});

const brokers = Array.from({ length: 20 }, (_, i) => `chaos-${i}`);

async function converged(name: string): Promise<boolean> {
  const broker = await fixture.readBroker(name);
  const status = broker?.status;
  if (!broker || status?.observedGeneration !== broker.metadata?.generation) return false;
  if (condition(status, "Degraded")?.status !== "False") return false;
  const owned = await Promise.all(
    [
      ["apps/v1", "StatefulSet", name],
      ["v1", "Service", name],
      ["v1", "ConfigMap", `${name}-membership`],
      ["networking.k8s.io/v1", "NetworkPolicy", name],
    ].map(([apiVersion = "", kind = "", child = ""]) =>
      read<KubernetesObject>(fixture.cluster, apiVersion, kind, fixture.namespace, child),
    ),
  );
  return owned.every(
    (child) => child?.metadata?.ownerReferences?.[0]?.uid === broker.metadata?.uid,
  );
}

test("an operator killed mid-reconcile converges after a restart", async () => {
  const doomed = fixture.startOperator("operator-doomed");
  await waitUntilReconciling(doomed);
  await Promise.all(
    brokers.map((name) => fixture.applyBroker(name, { replicas: 1, rateLimit: { enabled: true } })),
  );
  // Kill as soon as it has written something: reconciles are under way, most brokers untouched.
  await until(
    "the first reconcile to write",
    () => doomed.logs.some((line) => line.msg === "applied child"),
    { timeoutMs: 10_000 },
  );
  await doomed.kill();
  const doneBeforeKill = (await Promise.all(brokers.map(converged))).filter(Boolean).length;
  expect(doneBeforeKill).toBeLessThan(brokers.length);

  // A new replica: it waits out the killed one's unreleased lease (15 s), then converges.
  restarted = fixture.startOperator("operator-restarted");
  await waitUntilReconciling(restarted, 40_000);
  for (const name of brokers) {
    await until(`${name} converged`, () => converged(name), { timeoutMs: 30_000 }).catch(
      (err: unknown) => {
        throw new Error(`${String(err)}\n${tail(restarted)}`);
      },
    );
  }
}, 120_000);

test("an operator started on a converged cluster writes nothing", async () => {
  await restarted.stop();
  const mark = await auditMark(env.kube.auditLog);
  const fresh = fixture.startOperator("operator-fresh");
  await waitUntilReconciling(fresh);
  // Every broker is reconciled once after the caches sync; give them time to finish.
  await until(
    "a reconcile of every broker",
    async () => (await fresh.reconciles()) >= brokers.length,
  );
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const writes = await writesSince(env.kube.auditLog, mark, fixture.operatorUser);
  // Nothing to do must mean every broker was read and found in sync, not skipped with an error.
  const errors = fresh.logs.filter((line) => typeof line.level === "number" && line.level >= 50);
  expect(errors).toEqual([]);
  expect(
    writes.filter((write) => write.objectRef?.resource !== "leases").map(describeWrite),
  ).toEqual([]);
});

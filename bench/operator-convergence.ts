/**
 * Operator benchmark on the test environment's API server (DESIGN §7): CR→children latency,
 * time for N MessageBrokers to converge, API writes in steady state, and the operator's RSS.
 *
 *   node bench/operator-convergence.ts [--brokers 200] [--latency-samples 20] [--workers 4] [--env-file F]
 *
 * Needs a running test environment (`make env-up`). Prints a table and writes
 * bench/results/operator-convergence.json.
 */
import { Watch, type KubernetesObject } from "@kubernetes/client-node";
import { mkdir, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { readTestEnv } from "../e2e/env/env-file.ts";
import { auditMark, writesSince } from "../operator/test/audit-log.ts";
import {
  apply,
  connect,
  createNamespace,
  installMessageBrokerCrd,
  operatorKubeconfig,
  waitFor,
} from "../operator/test/cluster.ts";
import { startOperatorProcess, waitUntilReconciling } from "../operator/test/operator-process.ts";

const { values } = parseArgs({
  options: {
    brokers: { type: "string", default: "200" },
    "latency-samples": { type: "string", default: "20" },
    /** HERALD_MAX_CONCURRENT_RECONCILES of the operator under test. */
    workers: { type: "string", default: "4" },
    /** Facts of the test environment; the one `make env-up` writes by default. */
    "env-file": { type: "string" },
  },
});
const brokerCount = Number(values.brokers);
const latencySamples = Number(values["latency-samples"]);

/** Children a memory-store broker has (render/index.ts): the bar for "children appeared". */
const childrenPerBroker = 10;
const childPaths = [
  "/api/v1/namespaces/NS/serviceaccounts",
  "/apis/rbac.authorization.k8s.io/v1/namespaces/NS/roles",
  "/apis/rbac.authorization.k8s.io/v1/namespaces/NS/rolebindings",
  "/api/v1/namespaces/NS/configmaps",
  "/api/v1/namespaces/NS/services",
  "/apis/apps/v1/namespaces/NS/statefulsets",
  "/apis/policy/v1/namespaces/NS/poddisruptionbudgets",
  "/apis/networking.k8s.io/v1/namespaces/NS/networkpolicies",
];

const env = await readTestEnv(values["env-file"]);
if (!env) throw new Error("no test environment: run `make env-up` first");
const cluster = connect(env);
await installMessageBrokerCrd(cluster);
const namespace = await createNamespace(cluster, "bench-operator");
const identity = await operatorKubeconfig(cluster, namespace.name, namespace.name);

// When each broker's children were first seen, from watches (no polling delay).
const seen = new Map<string, number[]>();
const watch = new Watch(cluster.kubeConfig);
const watches = await Promise.all(
  childPaths.map((path) =>
    watch.watch(
      path.replace("NS", namespace.name),
      {},
      (type: string, object: KubernetesObject) => {
        const owner = object.metadata?.ownerReferences?.[0]?.name;
        if (type !== "ADDED" || !owner) return;
        seen.set(owner, [...(seen.get(owner) ?? []), performance.now()]);
      },
      () => undefined,
    ),
  ),
);
const childrenDone = (name: string) => (seen.get(name)?.length ?? 0) >= childrenPerBroker;

const operator = startOperatorProcess({
  kubeconfig: identity.file,
  watchNamespace: namespace.name,
  leaseNamespace: namespace.name,
  identity: "bench",
  extraEnv: { HERALD_MAX_CONCURRENT_RECONCILES: values.workers },
});
const broker = (name: string) =>
  apply(cluster, {
    apiVersion: "herald.dev/v1alpha1",
    kind: "MessageBroker",
    metadata: { name, namespace: namespace.name },
    spec: { replicas: 1 },
  } as KubernetesObject);

try {
  await waitUntilReconciling(operator);

  // 1. CR→children latency, one broker at a time on an idle operator.
  const latencies: number[] = [];
  for (let i = 0; i < latencySamples; i++) {
    const name = `latency-${i}`;
    const created = performance.now();
    await broker(name);
    await waitFor(`children of ${name}`, () => childrenDone(name));
    latencies.push(Math.max(...(seen.get(name) ?? [])) - created);
  }

  // 2. N brokers created at once: until every one has all children and a status for its generation.
  const names = Array.from({ length: brokerCount }, (_, i) => `fleet-${i}`);
  const started = performance.now();
  for (let i = 0; i < names.length; i += 20) await Promise.all(names.slice(i, i + 20).map(broker));
  await waitFor("every child", () => names.every(childrenDone), 600_000);
  const childrenMs = performance.now() - started;
  await waitFor(
    "every status",
    async () => {
      const list = await cluster.objects.list<
        KubernetesObject & { status?: { observedGeneration?: number } }
      >("herald.dev/v1alpha1", "MessageBroker", namespace.name);
      const fleet = list.items.filter((item) => item.metadata?.name?.startsWith("fleet-"));
      return (
        fleet.length === brokerCount &&
        fleet.every((item) => item.status?.observedGeneration === item.metadata?.generation)
      );
    },
    600_000,
  );
  const convergedMs = performance.now() - started;

  // 3. Steady state: writes over 30 s once everything has settled.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const mark = await auditMark(env.kube.auditLog);
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  const writes = await writesSince(env.kube.auditLog, mark, identity.username);
  const steadyWrites = writes.filter((write) => write.objectRef?.resource !== "leases").length;

  const metrics = await (await fetch(await operator.metricsUrl())).text();
  const rss = Number(/^process_resident_memory_bytes (\S+)$/m.exec(metrics)?.[1] ?? NaN);

  const sorted = [...latencies].sort((a, b) => a - b);
  const quantile = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const results = {
    crToChildrenMs: {
      p50: quantile(0.5),
      p90: quantile(0.9),
      max: sorted.at(-1) ?? NaN,
      samples: latencies.length,
    },
    brokers: brokerCount,
    allChildrenMs: childrenMs,
    convergedMs,
    steadyStateWritesIn30s: steadyWrites,
    leaseRenewalsIn30s: writes.length - steadyWrites,
    operatorRssMiB: rss / 2 ** 20,
  };
  console.table({
    "CR→children p50 (ms)": results.crToChildrenMs.p50.toFixed(0),
    "CR→children p90 (ms)": results.crToChildrenMs.p90.toFixed(0),
    [`${brokerCount} CRs: all children (s)`]: (childrenMs / 1000).toFixed(1),
    [`${brokerCount} CRs: converged, status written (s)`]: (convergedMs / 1000).toFixed(1),
    "steady-state writes in 30 s (besides lease)": steadyWrites,
    "operator RSS (MiB)": results.operatorRssMiB.toFixed(0),
  });
  await mkdir(new URL("results/", import.meta.url), { recursive: true });
  await writeFile(
    new URL("results/operator-convergence.json", import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );
} finally {
  for (const request of watches) request.abort();
  await operator.stop();
  await namespace.remove();
  await identity.remove();
}

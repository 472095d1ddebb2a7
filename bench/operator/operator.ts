/**
 * Operator benchmark on the test environment's real API server (bench/README.md).
 * The operator runs as its own process, as its image runs it (`node dist/operator/main.js`;
 * the TypeScript source when dist is missing), with the heap its chart's pod would give it and
 * its image's malloc tuning, as a ServiceAccount bound only to its generated RBAC, watching one namespace.
 *
 * There is no kubelet here, so no broker pod ever runs: "ready" means every
 * child object was created and the status for the CR's generation written
 * with Degraded=False (the reconciler writes status after applying the
 * children; a failed apply writes Degraded=True).
 *
 * 1. CR→ready latency: CRs created one at a time on an idle operator.
 * 2. Convergence: `fleet` CRs created at once, until every status is written.
 * 3. Steady state: API writes by the operator's identity over a window, from
 *    the API server's audit log (lease renewals counted apart), and its RSS and heap.
 */
import { Watch, type KubernetesObject } from "@kubernetes/client-node";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { quantityValue } from "../../lib/kube/quantity.ts";
import type { TestEnv } from "../../testing/test-env.ts";
import { auditMark, describeWrite, writesSince } from "../../operator/test/audit-log.ts";
import { installHeraldCrds, operatorKubeconfig } from "../../operator/test/cluster.ts";
import {
  startOperatorProcess,
  waitUntilReconciling,
} from "../../operator/test/operator-process.ts";
import { sleep } from "../load/closed-loop.ts";
import { onEarlyExit } from "../targets/process.ts";
import { apply, connect, createNamespace } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";

export interface OperatorParams {
  readonly latencySamples: number;
  readonly fleet: number;
  readonly steadyMs: number;
  readonly workers: number;
}

export interface OperatorResult {
  readonly readyLatencyMs: { p50: number; p99: number; max: number; samples: number };
  readonly childrenPerBroker: number;
  readonly fleet: number;
  /** From the first create until every child of every fleet CR existed. */
  readonly fleetChildrenMs: number;
  /** From the first create until every fleet CR had its status written. */
  readonly fleetConvergedMs: number;
  readonly steadyWindowS: number;
  readonly steadyWritesPerMin: number;
  readonly steadyWrites: string[];
  readonly leaseRenewalsPerMin: number;
  readonly totalBrokers: number;
  readonly operatorRssMiB: number;
  /** V8's heap at the same moment: what is live (and garbage not yet collected), and reserved. */
  readonly operatorHeapUsedMiB: number;
  readonly operatorHeapTotalMiB: number;
  /** The heap limit it ran with: that of the chart's pod (operatorHeap). */
  readonly operatorHeapLimitMiB: number;
  readonly operatorBuild: "dist" | "source";
  readonly workers: number;
}

const root = join(import.meta.dirname, "..", "..");
const distMain = join(root, "dist", "operator", "main.js");

const chartValues = z.object({
  resources: z.object({ limits: z.object({ memory: z.string() }) }),
});

/**
 * The heap limit of the operator in the pod its chart makes. Node sizes V8's heap from the memory
 * its cgroup allows, half of it on 64 bits (a 512Mi container gets 259 MiB); the bench runs no
 * container, and without the limit V8 would size the heap from this whole machine's memory and
 * let garbage pile up to several times the live heap before collecting it.
 */
function operatorHeap(): { limitMiB: number; nodeArgs: string[] } {
  const values = chartValues.parse(
    parse(readFileSync(join(root, "charts", "herald", "values.yaml"), "utf8")),
  );
  const limitBytes = quantityValue(values.resources.limits.memory);
  if (limitBytes === undefined) throw new Error("the chart's operator memory limit does not parse");
  const limitMiB = Math.floor(limitBytes / 2 ** 21);
  return { limitMiB, nodeArgs: [`--max-heap-size=${limitMiB}`] };
}

/** The malloc tuning the operator's image sets (Dockerfile.operator), so it runs here as there. */
function imageMallocEnv(): Record<string, string> {
  const dockerfile = readFileSync(join(root, "Dockerfile.operator"), "utf8");
  const arenas = /^ENV MALLOC_ARENA_MAX=(\d+)$/m.exec(dockerfile)?.[1];
  return arenas === undefined ? {} : { MALLOC_ARENA_MAX: arenas };
}

/** A gauge from the operator's /metrics text. */
const gauge = (metrics: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1] ?? NaN);

type Broker = KubernetesObject & {
  status?: {
    observedGeneration?: number;
    phase?: string;
    conditions?: { type: string; status: string; message?: string }[];
  };
};

/** Status for the current generation, written after a reconcile that did not fail. */
const converged = (broker: Broker) =>
  broker.status?.observedGeneration === broker.metadata?.generation &&
  broker.status?.conditions?.some((c) => c.type === "Degraded" && c.status === "False") === true;

const childKinds = [
  { apiVersion: "v1", kind: "ServiceAccount", plural: "serviceaccounts" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", plural: "roles" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", plural: "rolebindings" },
  { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps" },
  { apiVersion: "v1", kind: "Secret", plural: "secrets" },
  { apiVersion: "v1", kind: "Service", plural: "services" },
  { apiVersion: "apps/v1", kind: "StatefulSet", plural: "statefulsets" },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets" },
  { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", plural: "networkpolicies" },
];

const ownerOf = (object: KubernetesObject) =>
  object.metadata?.ownerReferences?.find((ref) => ref.kind === "MessageBroker")?.name;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

/**
 * Until every fleet broker converged. Gives up early, naming a failure, when none
 * converged for a minute: a fleet the cluster cannot hold (a full Service IP
 * range, say) fails in one line instead of waiting out the whole bound.
 */
async function waitForFleet(
  fleet: readonly string[],
  ready: ReadonlyMap<string, number>,
  degraded: ReadonlyMap<string, string>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = 0;
  let progressAt = Date.now();
  for (;;) {
    const now = fleet.filter((name) => ready.has(name)).length;
    if (now === fleet.length) return;
    if (now > done) [done, progressAt] = [now, Date.now()];
    const stalled = Date.now() - progressAt > 60_000;
    if (stalled || Date.now() > deadline) {
      const [name, message] = [...degraded].find(([broker]) => fleet.includes(broker)) ?? [];
      throw new Error(
        `${done} of ${fleet.length} CRs converged` +
          (stalled ? ", none more for 60 s" : ` in ${timeoutMs / 1000} s`) +
          (name === undefined ? "" : `; ${name} is Degraded: ${message}`),
      );
    }
    await sleep(200);
  }
}

export async function operatorBench(env: TestEnv, params: OperatorParams): Promise<OperatorResult> {
  const cluster = connect(env);
  await installHeraldCrds(cluster);
  const namespace = await createNamespace(cluster, "bench-operator");
  const identity = await operatorKubeconfig(cluster, namespace.name, namespace.name);

  // When each broker's children appeared and its status was written, from watches.
  const children = new Map<string, number[]>();
  const ready = new Map<string, number>();
  /** The Degraded message of brokers whose last reconcile failed. */
  const degraded = new Map<string, string>();
  const watch = new Watch(cluster.kubeConfig);
  const watches = await Promise.all([
    ...childKinds.map(({ apiVersion, plural }) =>
      watch.watch(
        `/${apiVersion === "v1" ? "api" : "apis"}/${apiVersion}/namespaces/${namespace.name}/${plural}`,
        {},
        (type: string, object: KubernetesObject) => {
          const owner = ownerOf(object);
          if (type === "ADDED" && owner !== undefined)
            children.set(owner, [...(children.get(owner) ?? []), performance.now()]);
        },
        () => undefined,
      ),
    ),
    watch.watch(
      `/apis/herald.dev/v1alpha1/namespaces/${namespace.name}/messagebrokers`,
      {},
      (_type: string, object: Broker) => {
        const name = object.metadata?.name;
        if (name === undefined) return;
        if (converged(object) && !ready.has(name)) ready.set(name, performance.now());
        const failure = object.status?.conditions?.find(
          (c) => c.type === "Degraded" && c.status === "True",
        );
        if (failure) degraded.set(name, failure.message ?? "");
        else degraded.delete(name);
      },
      () => undefined,
    ),
  ]);

  const build = existsSync(distMain) ? "dist" : "source";
  const heap = operatorHeap();
  const operator = startOperatorProcess({
    kubeconfig: identity.file,
    watchNamespace: namespace.name,
    leaseNamespace: namespace.name,
    identity: "bench",
    extraEnv: {
      HERALD_MAX_CONCURRENT_RECONCILES: String(params.workers),
      ...imageMallocEnv(),
    },
    ...(build === "dist" ? { main: distMain } : {}),
    nodeArgs: heap.nodeArgs,
  });
  // On Ctrl-C or a kill the finally below does not run: stop the operator and drop what it made.
  const forget = onEarlyExit(() => {
    operator.child.kill("SIGKILL");
    const kubectl = (...args: string[]) =>
      spawnSync(env.kube.kubectl, ["--kubeconfig", env.kube.kubeconfig, ...args, "--wait=false"], {
        stdio: "ignore",
        timeout: 10_000,
      });
    kubectl("delete", "namespace", namespace.name);
    kubectl("delete", "clusterrolebinding,clusterrole", `herald-operator-${namespace.name}`);
  });
  const create = (name: string) =>
    apply(cluster, {
      apiVersion: "herald.dev/v1alpha1",
      kind: "MessageBroker",
      metadata: { name, namespace: namespace.name },
      spec: { replicas: 1 },
    } as KubernetesObject);

  try {
    await waitUntilReconciling(operator, 60_000);

    // 1. One CR at a time on an idle operator.
    const latencies: number[] = [];
    for (let i = 0; i < params.latencySamples; i++) {
      const name = `latency-${i}`;
      const created = performance.now();
      await create(name);
      await until(`status of ${name}`, () => ready.has(name), { timeoutMs: 60_000 });
      latencies.push((ready.get(name) ?? NaN) - created);
    }
    const childrenPerBroker = children.get("latency-0")?.length ?? 0;

    // 2. The fleet at once (20 creates in flight).
    const fleet = Array.from({ length: params.fleet }, (_, i) => `fleet-${i}`);
    const started = performance.now();
    for (let i = 0; i < fleet.length; i += 20)
      await Promise.all(fleet.slice(i, i + 20).map(create));
    await waitForFleet(fleet, ready, degraded, params.fleet * 2_000);
    const fleetConvergedMs = Math.max(...fleet.map((name) => ready.get(name) ?? NaN)) - started;
    // Every child exists (listed, not only watched), and when the watches saw the last appear.
    await until(
      "every child of the fleet",
      async () => {
        const counts = new Map<string, number>();
        for (const { apiVersion, kind } of childKinds) {
          const list = await cluster.objects.list(apiVersion, kind, namespace.name);
          for (const item of list.items) {
            const owner = ownerOf(item);
            if (owner !== undefined) counts.set(owner, (counts.get(owner) ?? 0) + 1);
          }
        }
        return fleet.every((name) => (counts.get(name) ?? 0) >= childrenPerBroker);
      },
      { timeoutMs: 60_000 },
    );
    const fleetChildrenMs =
      Math.max(...fleet.flatMap((name) => children.get(name) ?? [])) - started;

    // 3. Steady state, once the work queue has drained: on a busy machine the StatefulSet
    // controller lags, and the status changes it brings keep the operator busy after convergence.
    await until(
      "the operator's work queue drained",
      async () =>
        gauge(await (await fetch(await operator.metricsUrl())).text(), "herald_workqueue_depth") ===
        0,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    await sleep(5_000);
    const mark = await auditMark(env.kube.auditLog);
    await sleep(params.steadyMs);
    const writes = await writesSince(env.kube.auditLog, mark, identity.username);
    const steady = writes.filter((write) => write.objectRef?.resource !== "leases");
    const metrics = await (await fetch(await operator.metricsUrl())).text();
    const mib = (name: string) => gauge(metrics, name) / 2 ** 20;
    const perMin = (count: number) => (count * 60_000) / params.steadyMs;

    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      readyLatencyMs: {
        p50: quantile(sorted, 0.5),
        p99: quantile(sorted, 0.99),
        max: sorted.at(-1) ?? NaN,
        samples: sorted.length,
      },
      childrenPerBroker,
      fleet: params.fleet,
      fleetChildrenMs,
      fleetConvergedMs,
      steadyWindowS: params.steadyMs / 1000,
      steadyWritesPerMin: perMin(steady.length),
      steadyWrites: steady.slice(0, 20).map(describeWrite),
      leaseRenewalsPerMin: perMin(writes.length - steady.length),
      totalBrokers: params.latencySamples + params.fleet,
      operatorRssMiB: mib("process_resident_memory_bytes"),
      operatorHeapUsedMiB: mib("nodejs_heap_size_used_bytes"),
      operatorHeapTotalMiB: mib("nodejs_heap_size_total_bytes"),
      operatorHeapLimitMiB: heap.limitMiB,
      operatorBuild: build,
      workers: params.workers,
    };
  } finally {
    for (const request of watches) request.abort();
    await operator.stop();
    await namespace.remove();
    await identity.remove();
    forget();
  }
}

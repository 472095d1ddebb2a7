import { EventsV1Api, PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { auditMark, describeWrite, writesSince } from "../test/audit-log.ts";
import {
  condition,
  operatorFixture,
  tail,
  type OperatorFixture,
} from "../test/operator-fixture.ts";
import { waitUntilReconciling, type OperatorProcess } from "../test/operator-process.ts";
import { parseMembershipConfigMap } from "../../contract/membership.ts";
import { workersAnnotation } from "../render/workers.ts";
import { pvcCleanupFinalizer } from "./finalizer.ts";
import { apply, read } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";

const env = inject("testEnv");
let fixture: OperatorFixture;
let operator: OperatorProcess;

beforeAll(async () => {
  fixture = await operatorFixture(env, "mb-reconcile");
  operator = fixture.startOperator();
  await waitUntilReconciling(operator);
});
afterAll(async () => {
  await fixture?.teardown();
});

type Owned = KubernetesObject & { spec?: Record<string, unknown>; data?: Record<string, string> };

/** The children a memory-store broker named `name` must have: kind, apiVersion, name. */
function memoryBrokerChildren(name: string): [string, string, string][] {
  return [
    ["v1", "ServiceAccount", `${name}-broker`],
    ["rbac.authorization.k8s.io/v1", "Role", `${name}-broker`],
    ["rbac.authorization.k8s.io/v1", "RoleBinding", `${name}-broker`],
    ["v1", "ConfigMap", `${name}-config`],
    ["v1", "ConfigMap", `${name}-membership`],
    ["v1", "Service", `${name}-headless`],
    ["v1", "Service", name],
    ["apps/v1", "StatefulSet", name],
    ["policy/v1", "PodDisruptionBudget", name],
    ["networking.k8s.io/v1", "NetworkPolicy", name],
  ];
}

const readChild = (apiVersion: string, kind: string, name: string) =>
  read<Owned>(fixture.cluster, apiVersion, kind, fixture.namespace, name);

async function allChildren(name: string): Promise<Owned[] | undefined> {
  const children = await Promise.all(
    memoryBrokerChildren(name).map(([apiVersion, kind, child]) =>
      readChild(apiVersion, kind, child),
    ),
  );
  return children.every((child) => child !== undefined) ? children : undefined;
}

async function noChildren(name: string): Promise<boolean> {
  const children = await Promise.all(
    memoryBrokerChildren(name).map(([apiVersion, kind, child]) =>
      readChild(apiVersion, kind, child),
    ),
  );
  return children.every((child) => child === undefined);
}

async function eventsAbout(name: string): Promise<(string | undefined)[]> {
  const events = fixture.cluster.kubeConfig.makeApiClient(EventsV1Api);
  const list = await events.listNamespacedEvent({ namespace: fixture.namespace });
  return list.items.filter((event) => event.regarding?.name === name).map((event) => event.reason);
}

async function claimsOf(statefulSet: string) {
  const claims = await fixture.cluster.core.listNamespacedPersistentVolumeClaim({
    namespace: fixture.namespace,
  });
  return claims.items.filter((claim) => claim.metadata?.name?.startsWith(`data-${statefulSet}-`));
}

describe("a MessageBroker's life", () => {
  test("its children appear with owner references, the StatefulSet creates pods, and status reports", async () => {
    const started = performance.now();
    const broker = await fixture.applyBroker("orders", { replicas: 1 });
    const children = await until("every child of orders", () => allChildren("orders"));
    process.stderr.write(`CR→children latency: ${Math.round(performance.now() - started)} ms\n`);

    for (const child of children) {
      expect(child.metadata?.ownerReferences, `${child.kind} ${child.metadata?.name}`).toEqual([
        expect.objectContaining({
          kind: "MessageBroker",
          name: "orders",
          uid: broker.metadata?.uid,
          controller: true,
          blockOwnerDeletion: true,
        }),
      ]);
    }

    const pods = await until("the broker pod", async () => {
      const list = await fixture.cluster.core.listNamespacedPod({
        namespace: fixture.namespace,
        labelSelector: "app.kubernetes.io/instance=orders,app.kubernetes.io/name=herald-broker",
      });
      return list.items.length === 1 ? list.items : undefined;
    });
    expect(pods[0]?.metadata?.name).toBe("orders-0");

    const status = await until("status of orders", async () => {
      const current = (await fixture.readBroker("orders"))?.status;
      return current?.replicas === 1 ? current : undefined;
    });
    expect(status.observedGeneration).toBe(broker.metadata?.generation);
    expect(status.selector).toBe(
      "app.kubernetes.io/name=herald-broker,app.kubernetes.io/instance=orders",
    );
    // No kubelet runs here: the pod is never ready.
    expect(status.phase).toBe("Provisioning");
    expect(condition(status, "Ready")).toMatchObject({ status: "False", reason: "PodsNotReady" });
    expect(condition(status, "StorageReady")).toMatchObject({
      status: "True",
      reason: "MemoryStore",
    });
    expect(condition(status, "Degraded")).toMatchObject({ status: "False" });

    const events = fixture.cluster.kubeConfig.makeApiClient(EventsV1Api);
    const recorded = await until("a Created event", async () => {
      const list = await events.listNamespacedEvent({ namespace: fixture.namespace });
      return list.items.find(
        (event) => event.regarding?.name === "orders" && event.reason === "Created",
      );
    });
    expect(recorded).toMatchObject({ type: "Normal", reportingController: "herald.dev/operator" });
  });

  test("a child deleted or edited by hand is restored", async () => {
    await until("every child of orders", () => allChildren("orders"));
    const service = await readChild("v1", "Service", "orders");
    await fixture.cluster.objects.delete({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "orders", namespace: fixture.namespace },
    });
    const restored = await until("the client Service restored", async () => {
      const current = await readChild("v1", "Service", "orders");
      return current && current.metadata?.uid !== service?.metadata?.uid ? current : undefined;
    });
    expect(restored.metadata?.ownerReferences?.[0]?.name).toBe("orders");

    // An edit of a field herald-operator manages, by another field manager that forces it.
    const config = await readChild("v1", "ConfigMap", "orders-config");
    const [key = "", original = ""] = Object.entries(config?.data ?? {})[0] ?? [];
    await apply(fixture.cluster, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "orders-config", namespace: fixture.namespace },
      data: { [key]: "edited by hand" },
    });
    await until(
      "the ConfigMap value restored",
      async () => (await readChild("v1", "ConfigMap", "orders-config"))?.data?.[key] === original,
    );

    await fixture.cluster.objects.patch(
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "orders", namespace: fixture.namespace },
        spec: { template: { spec: { terminationGracePeriodSeconds: 3 } } },
      },
      undefined,
      undefined,
      "someone",
      undefined,
      "application/merge-patch+json",
    );
    await until("the StatefulSet field restored", async () => {
      const set = await readChild("apps/v1", "StatefulSet", "orders");
      const template = set?.spec?.template as
        { spec?: { terminationGracePeriodSeconds?: number } } | undefined;
      return template?.spec?.terminationGracePeriodSeconds === 30;
    });
  });

  test("kubectl scale through the scale subresource changes the StatefulSet", async () => {
    await fixture.applyBroker("scaled", {
      replicas: 1,
      storage: {
        type: "postgres",
        postgres: { external: { host: "db.example", credentialsSecret: { name: "db" } } },
      },
    });
    await until("the scaled StatefulSet", () => readChild("apps/v1", "StatefulSet", "scaled"));
    await promisify(execFile)(env.kube.kubectl, [
      `--kubeconfig=${env.kube.kubeconfig}`,
      `--namespace=${fixture.namespace}`,
      "scale",
      "mb/scaled",
      "--replicas=3",
    ]);
    await until(
      "3 replicas on the StatefulSet",
      async () => (await readChild("apps/v1", "StatefulSet", "scaled"))?.spec?.replicas === 3,
    );
    const status = await until("status with 3 replicas", async () => {
      const current = (await fixture.readBroker("scaled"))?.status;
      return current?.replicas === 3 ? current : undefined;
    });
    expect(status.selector).toContain("app.kubernetes.io/instance=scaled");
    // The membership follows once the new pods are ready (operator/scaling); no kubelet runs here.
    await until("a Scaled event", async () => (await eventsAbout("scaled")).includes("Scaled"));
  });

  test("a child no longer rendered is deleted: the Envoy ConfigMap when rate limiting goes off", async () => {
    await fixture.applyBroker("limited", { replicas: 1, rateLimit: { enabled: true } });
    await until("the Envoy ConfigMap", () => readChild("v1", "ConfigMap", "limited-envoy"));
    await fixture.applyBroker("limited", { replicas: 1, rateLimit: { enabled: false } });
    await until(
      "the Envoy ConfigMap deleted",
      async () => (await readChild("v1", "ConfigMap", "limited-envoy")) === undefined,
    );
    const set = await readChild("apps/v1", "StatefulSet", "limited");
    const template = set?.spec?.template as { spec?: { initContainers?: unknown[] } } | undefined;
    expect(template?.spec?.initContainers ?? []).toEqual([]);
  });

  test("a paused broker is left alone until the annotation goes", async () => {
    await until("every child of orders", () => allChildren("orders"));
    await fixture.applyBroker(
      "orders",
      { replicas: 1 },
      { annotations: { "herald.dev/paused": "true" } },
    );
    await until(
      "phase Paused",
      async () => (await fixture.readBroker("orders"))?.status?.phase === "Paused",
    );
    const deleteService = () =>
      fixture.cluster.objects.delete({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "orders", namespace: fixture.namespace },
      });
    await deleteService();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await readChild("v1", "Service", "orders")).toBeUndefined();

    await fixture.applyBroker("orders", { replicas: 1 }, { annotations: {} });
    await until("the Service restored after unpausing", () => readChild("v1", "Service", "orders"));
    await until(
      "phase back from Paused",
      async () => (await fixture.readBroker("orders"))?.status?.phase !== "Paused",
    );
  });

  test("a broker of several workers lists each worker of its pod, as many as the live pod runs", async () => {
    await fixture.applyBroker("workers", { replicas: 1, workers: 2 });
    const memberNames = async () => {
      const map = await readChild("v1", "ConfigMap", "workers-membership");
      return map ? parseMembershipConfigMap(map.data).members.map((member) => member.name) : [];
    };
    expect(
      await until("the workers' members", async () => {
        const names = await memberNames();
        return names.length > 0 ? names : undefined;
      }),
    ).toEqual(["workers-0~0", "workers-0~1"]);
    const pod = await until("the broker pod", () =>
      read<KubernetesObject>(fixture.cluster, "v1", "Pod", fixture.namespace, "workers-0"),
    );
    expect(pod.metadata?.annotations?.[workersAnnotation]).toBe("2");

    // A pod still running another count (one the StatefulSet has not replaced yet) keeps it.
    await fixture.cluster.objects.patch(
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: "workers-0",
          namespace: fixture.namespace,
          annotations: { [workersAnnotation]: "3" },
        },
      },
      undefined,
      undefined,
      "herald-tests",
      undefined,
      PatchStrategy.MergePatch,
    );
    await fixture.touchBroker("workers", "pod changed");
    await until("the pod's three workers listed", async () => (await memberNames()).length === 3);
  });

  test("over 30 s of steady state the operator makes no write", async () => {
    // Settled: every broker's status has caught up and nothing was written for 3 s.
    let mark = await auditMark(env.kube.auditLog);
    await until(
      "a quiet operator",
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const writes = await writesSince(env.kube.auditLog, mark, fixture.operatorUser);
        mark = await auditMark(env.kube.auditLog);
        return writes.filter((write) => write.objectRef?.resource !== "leases").length === 0;
      },
      { timeoutMs: 60_000 },
    );

    const start = await auditMark(env.kube.auditLog);
    const reconcilesBefore = await operator.reconciles();
    // Reconciles with nothing to change must write nothing: touch every broker now and then
    // (an annotation changes no generation, so no status either).
    // "workers" lists its pods on every reconcile, which must change nothing either.
    const touched = ["orders", "scaled", "workers"];
    for (let round = 0; round < 3; round++) {
      for (const name of touched) {
        await fixture.touchBroker(name, String(round));
      }
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
    expect(await operator.reconciles()).toBeGreaterThanOrEqual(
      reconcilesBefore + 3 * touched.length,
    );
    const writes = await writesSince(env.kube.auditLog, start, fixture.operatorUser);
    const leaseRenewals = writes.filter((write) => write.objectRef?.resource === "leases");
    const others = writes.filter((write) => write.objectRef?.resource !== "leases");
    process.stderr.write(
      `steady state, 30 s: ${others.length} writes besides ${leaseRenewals.length} lease renewals\n`,
    );
    expect(others.map(describeWrite), tail(operator)).toEqual([]);
    // The renewals are the leader election's own, every retry period (2 s).
    expect(leaseRenewals.length).toBeGreaterThan(5);
  }, 120_000);

  test("deletion garbage-collects every child and keeps the volumes under deletionPolicy Retain", async () => {
    const spec = {
      replicas: 1,
      deletionPolicy: "Retain" as const,
      storage: { type: "postgres" as const, postgres: { managed: { storage: "1Gi" } } },
    };
    await fixture.applyBroker("kept", spec);
    await until(
      "the managed store's claim",
      async () => (await claimsOf("kept-postgres")).length === 1,
    );
    await until("every child of kept", () => allChildren("kept"));
    expect((await fixture.readBroker("kept"))?.metadata?.finalizers ?? []).not.toContain(
      pvcCleanupFinalizer,
    );

    await fixture.cluster.objects.delete({
      apiVersion: "herald.dev/v1alpha1",
      kind: "MessageBroker",
      metadata: { name: "kept", namespace: fixture.namespace },
    });
    await until("children of kept collected", () => noChildren("kept"), { timeoutMs: 60_000 });
    await until(
      "the store StatefulSet collected",
      async () => (await readChild("apps/v1", "StatefulSet", "kept-postgres")) === undefined,
      { timeoutMs: 60_000 },
    );
    const claims = await claimsOf("kept-postgres");
    expect(claims).toHaveLength(1);
    expect(claims[0]?.metadata?.deletionTimestamp).toBeUndefined();
  });

  test("deletion removes the volumes under deletionPolicy Delete, through the finalizer", async () => {
    const spec = {
      replicas: 1,
      deletionPolicy: "Delete" as const,
      storage: { type: "postgres" as const, postgres: { managed: { storage: "1Gi" } } },
    };
    await fixture.applyBroker("dropped", spec);
    await until(
      "the managed store's claim",
      async () => (await claimsOf("dropped-postgres")).length === 1,
    );
    await until("the cleanup finalizer", async () =>
      (await fixture.readBroker("dropped"))?.metadata?.finalizers?.includes(pvcCleanupFinalizer),
    );

    await fixture.cluster.objects.delete({
      apiVersion: "herald.dev/v1alpha1",
      kind: "MessageBroker",
      metadata: { name: "dropped", namespace: fixture.namespace },
    });
    await until(
      "the MessageBroker gone",
      async () => (await fixture.readBroker("dropped")) === undefined,
      { timeoutMs: 60_000 },
    );
    await until("children of dropped collected", () => noChildren("dropped"), {
      timeoutMs: 60_000,
    });
    // Deleted; the pvc-protection finalizer holds it only while no controller here lifts it.
    await until("the claim deleted", async () =>
      (await claimsOf("dropped-postgres")).every((claim) => claim.metadata?.deletionTimestamp),
    );
  });
});

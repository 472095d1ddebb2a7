import { describe, expect, test } from "vitest";
import { messageBrokerSchema, type MessageBrokerInput } from "../api/v1alpha1/index.ts";
import type { Observation } from "./observation.ts";
import { computeStatus, pausedStatus } from "./status.ts";
import { observeStatefulSet, type Workload } from "./workload.ts";

const t0 = "2026-01-01T00:00:00Z";
const t1 = "2026-01-01T00:01:00Z";

function broker(overrides: Partial<MessageBrokerInput> = {}) {
  return messageBrokerSchema.parse({
    apiVersion: "herald.dev/v1alpha1",
    kind: "MessageBroker",
    metadata: { name: "orders", namespace: "shop", uid: "u1", generation: 2 },
    spec: { replicas: 1 },
    ...overrides,
  });
}

const healthy: Workload = { desired: 1, current: 1, ready: 1, rolledOut: true };

function observation(overrides: Partial<Observation> = {}): Observation {
  return {
    broker: broker(),
    brokers: healthy,
    store: { kind: "memory" },
    serviceMonitorSkipped: false,
    certificateSkipped: false,
    storeUnavailable: undefined,
    reconcileError: undefined,
    scalingStall: undefined,
    membershipEpoch: 1,
    clusterDomain: "cluster.local",
    ...overrides,
  };
}

const condition = (status: ReturnType<typeof computeStatus>, type: string) =>
  status.conditions?.find((c) => c.type === type);

describe("computeStatus", () => {
  test("a ready broker is Running with every condition settled", () => {
    const status = computeStatus(observation(), t0);
    expect(status).toMatchObject({
      observedGeneration: 2,
      phase: "Running",
      replicas: 1,
      readyReplicas: 1,
      workers: 1,
      selector: "app.kubernetes.io/name=herald-broker,app.kubernetes.io/instance=orders",
      endpoints: { grpc: "orders.shop.svc.cluster.local:50051" },
      membershipEpoch: 1,
    });
    expect(condition(status, "Ready")).toMatchObject({
      status: "True",
      reason: "AllPodsReady",
      observedGeneration: 2,
    });
    expect(condition(status, "Progressing")).toMatchObject({ status: "False", reason: "Complete" });
    expect(condition(status, "Degraded")).toMatchObject({ status: "False" });
    expect(condition(status, "StorageReady")).toMatchObject({
      status: "True",
      reason: "MemoryStore",
    });
  });

  test("reports the workers each pod runs: spec.workers, else 1", () => {
    const withSpec = (spec: MessageBrokerInput["spec"]) =>
      computeStatus(observation({ broker: broker({ spec }) }), t0).workers;
    expect(withSpec({ workers: 3 })).toBe(3);
    expect(withSpec({ resources: { limits: { cpu: "1500m" } } })).toBe(1);
  });

  test("before the StatefulSet exists the broker is Pending and Progressing", () => {
    const status = computeStatus(observation({ brokers: undefined }), t0);
    expect(status.phase).toBe("Pending");
    expect(condition(status, "Progressing")).toMatchObject({ status: "True", reason: "Creating" });
    expect(condition(status, "Ready")).toMatchObject({ status: "False" });
  });

  test("pods that are not ready keep it Provisioning", () => {
    const status = computeStatus(observation({ brokers: { ...healthy, ready: 0 } }), t0);
    expect(status.phase).toBe("Provisioning");
    expect(condition(status, "Ready")).toMatchObject({ status: "False", reason: "PodsNotReady" });
    expect(condition(status, "Progressing")).toMatchObject({
      status: "True",
      reason: "AwaitingReadyPods",
    });
  });

  test("a replica change is Scaling until the StatefulSet has the new count", () => {
    const scaled = broker({
      spec: { replicas: 3, storage: { type: "postgres", postgres: { managed: {} } } },
    });
    const status = computeStatus(
      observation({ broker: scaled, store: { kind: "managed", workload: healthy } }),
      t0,
    );
    expect(status.phase).toBe("Scaling");
    expect(condition(status, "Progressing")?.message).toBe("Scaling from 1 to 3 broker pods.");
  });

  test("a failed reconcile is Degraded with the error as message", () => {
    const status = computeStatus(
      observation({ reconcileError: "applying StatefulSet: forbidden" }),
      t0,
    );
    expect(status.phase).toBe("Degraded");
    expect(condition(status, "Degraded")).toMatchObject({
      status: "True",
      reason: "ReconcileFailed",
      message: "applying StatefulSet: forbidden",
    });
  });

  test("a stalled scale step is Degraded with its message; a failed reconcile outranks it", () => {
    const scalingStall = "Scale 3→2 has waited over 5m (since t0) for orders-1 (unreachable).";
    const stalled = computeStatus(observation({ scalingStall, serviceMonitorSkipped: true }), t0);
    expect(stalled.phase).toBe("Degraded");
    expect(condition(stalled, "Degraded")).toMatchObject({
      status: "True",
      reason: "ScalingStalled",
      message: scalingStall,
    });
    const failing = computeStatus(
      observation({ scalingStall, reconcileError: "applying StatefulSet: forbidden" }),
      t0,
    );
    expect(condition(failing, "Degraded")).toMatchObject({ reason: "ReconcileFailed" });
  });

  test("Degraded returns to False, with a new transition time, once the step moves on", () => {
    const scalingStall = "Scale 3→2 has waited over 5m (since t0) for orders-1 (unreachable).";
    const stalled = computeStatus(observation({ scalingStall }), t0);
    const moved = computeStatus(observation({ broker: broker({ status: stalled }) }), t1);
    expect(condition(moved, "Degraded")).toMatchObject({
      status: "False",
      reason: "AsExpected",
      lastTransitionTime: t1,
    });
  });

  test("a skipped ServiceMonitor is reported on Degraded, naming the missing CRD", () => {
    const status = computeStatus(observation({ serviceMonitorSkipped: true }), t0);
    expect(condition(status, "Degraded")).toMatchObject({
      status: "True",
      reason: "ServiceMonitorSkipped",
    });
    expect(condition(status, "Degraded")?.message).toContain(
      "servicemonitors.monitoring.coreos.com",
    );
  });

  test("an external store a broker cannot reach says why, in StorageReady", () => {
    const cause = "orders-0: store unavailable: connect ECONNREFUSED 10.0.0.9:5432";
    const status = computeStatus(
      observation({ store: { kind: "external" }, storeUnavailable: cause }),
      t0,
    );
    expect(condition(status, "StorageReady")).toMatchObject({
      status: "False",
      reason: "StoreUnavailable",
      message: cause,
    });
    const memory = computeStatus(observation({ storeUnavailable: cause }), t0);
    expect(condition(memory, "StorageReady")).toMatchObject({ status: "True" });
  });

  test("a managed store that is not ready holds Ready back", () => {
    const status = computeStatus(
      observation({ store: { kind: "managed", workload: { ...healthy, ready: 0 } } }),
      t0,
    );
    expect(condition(status, "StorageReady")).toMatchObject({
      status: "False",
      reason: "ManagedStoreNotReady",
    });
    expect(condition(status, "Ready")).toMatchObject({
      status: "False",
      reason: "StorageNotReady",
    });
  });

  test("lastTransitionTime moves only when a condition's status changes", () => {
    const first = computeStatus(observation({ brokers: { ...healthy, ready: 0 } }), t0);
    const withPrevious = (status: typeof first) => broker({ status });

    const same = computeStatus(
      observation({ broker: withPrevious(first), brokers: { ...healthy, ready: 0 } }),
      t1,
    );
    expect(same).toEqual(first);

    const becameReady = computeStatus(observation({ broker: withPrevious(first) }), t1);
    expect(condition(becameReady, "Ready")?.lastTransitionTime).toBe(t1);
    expect(condition(becameReady, "Degraded")?.lastTransitionTime).toBe(t0);
  });

  test("conditions written by others (Scaling) and the scaling record are kept", () => {
    const previous = computeStatus(observation(), t0);
    const scaling = { from: 1, to: 3, step: "AddingPods" as const };
    const scalingCondition = {
      type: "Scaling" as const,
      status: "True" as const,
      reason: "AddingPods",
      message: "",
      lastTransitionTime: t0,
    };
    const status = computeStatus(
      observation({
        broker: broker({
          status: {
            ...previous,
            scaling,
            conditions: [...(previous.conditions ?? []), scalingCondition],
          },
        }),
      }),
      t1,
    );
    expect(status.scaling).toEqual(scaling);
    expect(condition(status, "Scaling")).toEqual(scalingCondition);
  });
});

describe("pausedStatus", () => {
  test("only says paused, keeping everything else", () => {
    const previous = computeStatus(observation(), t0);
    const paused = pausedStatus(previous, 2, t1);
    expect(paused.phase).toBe("Paused");
    expect(condition(paused, "Progressing")).toMatchObject({
      status: "False",
      reason: "Paused",
      lastTransitionTime: t0,
    });
    expect(condition(paused, "Ready")).toEqual(condition(previous, "Ready"));
    expect(paused.readyReplicas).toBe(previous.readyReplicas);
    expect(pausedStatus(paused, 2, "2026-01-02T00:00:00Z")).toEqual(paused);
  });
});

describe("observeStatefulSet", () => {
  const statefulSet = (status: Record<string, unknown>, generation = 3) => ({
    metadata: { generation },
    spec: { replicas: 3 },
    status,
  });

  test("a StatefulSet at its latest revision with every pod updated is rolled out", () => {
    const rolled = statefulSet({
      observedGeneration: 3,
      replicas: 3,
      readyReplicas: 2,
      updatedReplicas: 3,
      currentRevision: "r2",
      updateRevision: "r2",
    });
    expect(observeStatefulSet(rolled)).toEqual({
      desired: 3,
      current: 3,
      ready: 2,
      rolledOut: true,
    });
  });

  test("an unobserved generation, a revision change or missing pods are not", () => {
    const base = {
      observedGeneration: 3,
      replicas: 3,
      updatedReplicas: 3,
      currentRevision: "r2",
      updateRevision: "r2",
    };
    expect(observeStatefulSet(statefulSet({ ...base, observedGeneration: 2 }))?.rolledOut).toBe(
      false,
    );
    expect(observeStatefulSet(statefulSet({ ...base, currentRevision: "r1" }))?.rolledOut).toBe(
      false,
    );
    expect(observeStatefulSet(statefulSet({ ...base, replicas: 2 }))?.rolledOut).toBe(false);
  });

  test("a fresh StatefulSet without status has no pods", () => {
    expect(
      observeStatefulSet({ metadata: { generation: 1 }, spec: { replicas: 1 } }),
    ).toMatchObject({
      current: 0,
      ready: 0,
      rolledOut: false,
    });
  });
});

import { describe, expect, test } from "vitest";
import { podSchema, type Pod } from "./pod-schema.ts";
import {
  desiredPodStatus,
  statusUpToDate,
  type ContainerSnapshot,
  type PodSnapshot,
} from "./pod-status.ts";
import { brokerPod } from "./test-pods.ts";

const t0 = new Date("2026-03-01T10:00:00.000Z");
const t1 = new Date("2026-03-01T10:00:07.250Z");

const running = (overrides: Partial<ContainerSnapshot> = {}): ContainerSnapshot => ({
  name: "broker",
  image: "herald-broker:0.1.0",
  imageID: "process:///repo/broker/main.ts",
  state: { kind: "running", pid: 4242, startedAt: t0 },
  lastTermination: undefined,
  restartCount: 0,
  started: true,
  ready: true,
  ...overrides,
});

const snapshot = (overrides: Partial<PodSnapshot> = {}): PodSnapshot => ({
  podIP: "127.0.10.4",
  hostIP: "127.0.0.1",
  startTime: t0,
  containers: [running()],
  initContainers: [],
  ...overrides,
});

type Status = {
  phase: string;
  conditions: { type: string; status: string; lastTransitionTime: string; reason?: string }[];
  containerStatuses: Record<string, unknown>[];
  podIP?: string;
};

const statusOf = (pod: Pod, snap: PodSnapshot, now = t1) =>
  desiredPodStatus(pod, snap, now) as Status;

/** The pod after the API server stored `status` (as an informer would deliver it). */
const withStatus = (pod: Pod, status: object): Pod =>
  podSchema.parse({ ...pod, status: JSON.parse(JSON.stringify(status)) as unknown });

const conditionOf = (status: Status, type: string) =>
  status.conditions.find((condition) => condition.type === type);

describe("desiredPodStatus", () => {
  test("a running, ready broker: Running, Ready, its address and its process", () => {
    const status = statusOf(brokerPod(), snapshot());
    expect(status).toMatchObject({
      phase: "Running",
      podIP: "127.0.10.4",
      podIPs: [{ ip: "127.0.10.4" }],
      hostIP: "127.0.0.1",
      hostIPs: [{ ip: "127.0.0.1" }],
      startTime: "2026-03-01T10:00:00Z",
      containerStatuses: [
        {
          name: "broker",
          containerID: "process://4242",
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: "2026-03-01T10:00:00Z" } },
          lastState: {},
        },
      ],
    });
    for (const type of ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"]) {
      expect(conditionOf(status, type)?.status).toBe("True");
    }
  });

  test("before the first start: Pending, not ready, the waiting reason shown", () => {
    const status = statusOf(
      brokerPod(),
      snapshot({
        containers: [
          running({
            state: { kind: "waiting", reason: "CreateContainerConfigError", message: "x" },
            started: false,
            ready: false,
          }),
        ],
      }),
    );
    expect(status.phase).toBe("Pending");
    expect(conditionOf(status, "Ready")).toMatchObject({
      status: "False",
      reason: "ContainersNotReady",
    });
    expect(status.containerStatuses[0]).toMatchObject({
      ready: false,
      state: { waiting: { reason: "CreateContainerConfigError", message: "x" } },
    });
  });

  test("a crash loop: still Running, the last exit and the restart count shown", () => {
    const crashed = {
      kind: "terminated" as const,
      exitCode: 137,
      signal: 9,
      reason: "Error",
      startedAt: t0,
      finishedAt: t1,
      pid: 4242,
    };
    const status = statusOf(
      brokerPod(),
      snapshot({
        containers: [
          running({
            state: { kind: "waiting", reason: "CrashLoopBackOff", message: "back-off 10s" },
            lastTermination: crashed,
            restartCount: 3,
            ready: true,
          }),
        ],
      }),
    );
    expect(status.phase).toBe("Running");
    expect(status.containerStatuses[0]).toMatchObject({
      restartCount: 3,
      ready: false,
      started: false,
      lastState: {
        terminated: { exitCode: 137, signal: 9, containerID: "process://4242", reason: "Error" },
      },
    });
    expect(conditionOf(status, "Ready")?.status).toBe("False");
  });

  test("transition times move only when a condition's status does; others' conditions stay", () => {
    const bound = podSchema.parse({
      ...brokerPod(),
      status: {
        conditions: [
          { type: "PodScheduled", status: "True", lastTransitionTime: "2026-03-01T09:00:00Z" },
        ],
      },
    });
    const notReady = statusOf(bound, snapshot({ containers: [running({ ready: false })] }), t0);
    expect(conditionOf(notReady, "PodScheduled")?.lastTransitionTime).toBe("2026-03-01T09:00:00Z");
    const afterwards = withStatus(bound, notReady);
    const stillNotReady = statusOf(
      afterwards,
      snapshot({ containers: [running({ ready: false })] }),
    );
    expect(conditionOf(stillNotReady, "Ready")?.lastTransitionTime).toBe("2026-03-01T10:00:00Z");
    const ready = statusOf(afterwards, snapshot());
    expect(conditionOf(ready, "Ready")?.lastTransitionTime).toBe("2026-03-01T10:00:07Z");
    expect(conditionOf(ready, "Initialized")?.lastTransitionTime).toBe("2026-03-01T10:00:00Z");
  });

  test("readiness gates hold Ready back until their conditions are True", () => {
    const gated = podSchema.parse({
      ...brokerPod(),
      spec: { ...brokerPod().spec, readinessGates: [{ conditionType: "example.com/warm" }] },
    });
    expect(conditionOf(statusOf(gated, snapshot()), "Ready")).toMatchObject({
      status: "False",
      reason: "ReadinessGatesNotReady",
    });
    const warm = podSchema.parse({
      ...gated,
      status: { conditions: [{ type: "example.com/warm", status: "True" }] },
    });
    expect(conditionOf(statusOf(warm, snapshot()), "Ready")?.status).toBe("True");
  });

  test("a pod being stopped is not ready, whatever its probes last said", () => {
    const status = statusOf(brokerPod(), snapshot({ terminating: true }));
    expect(conditionOf(status, "Ready")?.status).toBe("False");
    expect(conditionOf(status, "ContainersReady")?.status).toBe("False");
  });

  test("skipped init containers (the Envoy sidecar) are reported as waiting", () => {
    const status = statusOf(
      brokerPod({ rateLimit: { enabled: true, requestsPerSecond: 10, burst: 20 } }),
      snapshot({
        initContainers: [
          running({
            name: "envoy",
            state: { kind: "waiting", reason: "NotRunByProcessKubelet" },
            ready: false,
            started: false,
          }),
        ],
      }),
    ) as Status & { initContainerStatuses: unknown[] };
    expect(status.initContainerStatuses).toMatchObject([
      { name: "envoy", ready: false, state: { waiting: { reason: "NotRunByProcessKubelet" } } },
    ]);
    expect(conditionOf(status, "Ready")?.status).toBe("True");
  });
});

describe("statusUpToDate", () => {
  test("a stored status equals the desired one however its times are spelled", () => {
    const pod = brokerPod();
    const desired = desiredPodStatus(pod, snapshot(), t1);
    const stored = JSON.parse(
      JSON.stringify(desired).replace(/(\d\d:\d\d:\d\d)Z/g, "$1.000Z"),
    ) as object;
    expect(statusUpToDate({ ...stored, qosClass: "Burstable" }, desired)).toBe(true);
    // Recomputed later with nothing changed: still equal (no write in a steady state).
    const again = desiredPodStatus(
      withStatus(pod, stored),
      snapshot(),
      new Date(t1.getTime() + 60_000),
    );
    expect(statusUpToDate(stored, again)).toBe(true);
  });

  test("any change is a difference", () => {
    const pod = brokerPod();
    const desired = desiredPodStatus(pod, snapshot(), t1);
    const restarted = desiredPodStatus(
      pod,
      snapshot({ containers: [running({ restartCount: 1 })] }),
      t1,
    );
    expect(statusUpToDate(desired, restarted)).toBe(false);
    expect(statusUpToDate(undefined, desired)).toBe(false);
  });
});

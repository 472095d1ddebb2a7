/**
 * The status the kubelet reports for a pod, computed from what its processes are doing. Pure:
 * the worker compares the result with the pod's current status and patches only a difference,
 * so a steady pod costs no writes.
 */
import { stringify } from "safe-stable-stringify";
import { canonicalTime, type Pod, type PodCondition } from "./pod-schema.ts";
import type { ContainerState } from "./supervisor.ts";

export interface ContainerSnapshot {
  name: string;
  image: string;
  imageID: string;
  state: ContainerState;
  lastTermination: ContainerState | undefined;
  restartCount: number;
  started: boolean;
  ready: boolean;
}

export interface PodSnapshot {
  /** Undefined until the pod has its address (the kubelet's sandbox). */
  podIP: string | undefined;
  hostIP: string;
  startTime: Date;
  containers: readonly ContainerSnapshot[];
  initContainers: readonly ContainerSnapshot[];
  /** Set while the pod is being stopped; no container is Ready then. */
  terminating?: boolean;
}

/** Conditions the kubelet owns; any other (PodScheduled, DisruptionTarget, gates) is kept. */
const kubeletConditions = ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"];

export const containerID = (pid: number): string => `process://${pid}`;

function stateJson(state: ContainerState): object {
  switch (state.kind) {
    case "waiting":
      return {
        waiting: { reason: state.reason, ...(state.message ? { message: state.message } : {}) },
      };
    case "running":
      return { running: { startedAt: canonicalTime(state.startedAt) } };
    case "terminated":
      return {
        terminated: {
          exitCode: state.exitCode,
          ...(state.signal !== undefined ? { signal: state.signal } : {}),
          reason: state.reason,
          startedAt: canonicalTime(state.startedAt),
          finishedAt: canonicalTime(state.finishedAt),
          containerID: containerID(state.pid),
        },
      };
  }
}

function containerStatus(container: ContainerSnapshot): object {
  const { state } = container;
  return {
    name: container.name,
    image: container.image,
    imageID: container.imageID,
    ...(state.kind === "running" ? { containerID: containerID(state.pid) } : {}),
    ...(state.kind === "terminated" ? { containerID: containerID(state.pid) } : {}),
    ready: container.ready && state.kind === "running",
    started: container.started && state.kind === "running",
    restartCount: container.restartCount,
    state: stateJson(state),
    lastState: container.lastTermination ? stateJson(container.lastTermination) : {},
  };
}

interface ConditionValue {
  status: boolean;
  reason?: string;
  message?: string;
}

export function desiredPodStatus(pod: Pod, snapshot: PodSnapshot, now: Date): object {
  const existing = pod.status?.conditions ?? [];
  const notReady = snapshot.containers
    .filter((container) => !(container.ready && container.state.kind === "running"))
    .map((container) => container.name);
  const containersReady = !snapshot.terminating && notReady.length === 0;
  const gates = (pod.spec.readinessGates ?? []).map((gate) => gate.conditionType);
  const gatesOpen = gates.every(
    (type) => existing.find((condition) => condition.type === type)?.status === "True",
  );
  const unready = `containers with unready status: [${notReady.join(" ")}]`;
  const values: Record<string, ConditionValue> = {
    PodReadyToStartContainers: { status: snapshot.podIP !== undefined },
    Initialized: { status: true },
    ContainersReady: containersReady
      ? { status: true }
      : { status: false, reason: "ContainersNotReady", message: unready },
    Ready: !containersReady
      ? { status: false, reason: "ContainersNotReady", message: unready }
      : gatesOpen
        ? { status: true }
        : {
            status: false,
            reason: "ReadinessGatesNotReady",
            message: "the readiness gates are not all True",
          },
  };
  const conditions: object[] = [];
  for (const type of kubeletConditions) {
    const value = values[type];
    if (value) conditions.push(condition(type, value, existing, now));
  }
  conditions.push(...existing.filter((c) => !kubeletConditions.includes(c.type)));

  const running = snapshot.containers.some(
    (c) => c.state.kind === "running" || c.restartCount > 0 || c.lastTermination !== undefined,
  );
  const ip = snapshot.podIP;
  return {
    phase: ip !== undefined && running ? "Running" : "Pending",
    conditions,
    hostIP: snapshot.hostIP,
    hostIPs: [{ ip: snapshot.hostIP }],
    ...(ip !== undefined ? { podIP: ip, podIPs: [{ ip }] } : {}),
    startTime: canonicalTime(snapshot.startTime),
    containerStatuses: snapshot.containers.map(containerStatus),
    ...(snapshot.initContainers.length > 0
      ? { initContainerStatuses: snapshot.initContainers.map(containerStatus) }
      : {}),
  };
}

function condition(
  type: string,
  value: ConditionValue,
  existing: readonly PodCondition[],
  now: Date,
): object {
  const status = value.status ? "True" : "False";
  const previous = existing.find((c) => c.type === type);
  // The transition time moves only when the status does.
  const since = previous?.status === status ? previous.lastTransitionTime : undefined;
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: since ?? canonicalTime(now),
    ...(value.reason ? { reason: value.reason } : {}),
    ...(value.message ? { message: value.message } : {}),
  };
}

const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** One spelling for equal statuses: times at second precision, nulls and key order ignored. */
function canonical(value: unknown): unknown {
  if (value instanceof Date) return canonicalTime(value);
  if (typeof value === "string") return isoTime.test(value) ? canonicalTime(value) : value;
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, field]) => field !== null && field !== undefined)
        .map(([key, field]) => [key, canonical(field)]),
    );
  }
  return value;
}

/** Whether `current` already holds every field of `desired` with the same value. */
export function statusUpToDate(current: unknown, desired: object): boolean {
  const have = canonical(current ?? {}) as Record<string, unknown>;
  return Object.entries(canonical(desired) as Record<string, unknown>).every(
    ([key, value]) => stringify(have[key]) === stringify(value),
  );
}

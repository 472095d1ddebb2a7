import { maxWorkers } from "../../contract/ports.ts";
import type { MessageBrokerSpec } from "../api/v1alpha1/index.ts";

/**
 * Pod-template annotation with the pod's worker count. The membership reads it from the live pods:
 * while a changed count rolls out, a pod not yet replaced still runs its old count.
 */
export const workersAnnotation = "herald.dev/workers";

/**
 * Broker processes each pod runs: spec.workers, else 1. Not the CPU limit: a client that does not
 * route reaches a worker that does not own its subject for (N-1)/N of its calls, and each such call
 * is forwarded, which made two workers cost 2.7 times the CPU per publish of one
 * (docs/decisions/0013-workers-per-pod.md), so more workers are a choice made for routing clients.
 */
export function desiredWorkers(spec: Pick<MessageBrokerSpec, "workers">): number {
  return spec.workers ?? 1;
}

/** The workers a live pod runs, from its annotation; a pod without one predates workers and runs one. */
export function runningWorkers(annotations: Readonly<Record<string, string>> | undefined): number {
  const count = Number(annotations?.[workersAnnotation]);
  return Number.isInteger(count) && count >= 1 && count <= maxWorkers ? count : 1;
}

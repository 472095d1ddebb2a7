import { maxWorkers } from "../../contract/ports.ts";
import { quantityValue } from "../../lib/kube/quantity.ts";
import type { MessageBrokerSpec } from "../api/v1alpha1/index.ts";

/**
 * Pod-template annotation with the pod's worker count. The membership reads it from the live pods:
 * while a changed count rolls out, a pod not yet replaced still runs its old count.
 */
export const workersAnnotation = "herald.dev/workers";

/** Slack for a CPU limit like 3000m, whose value in floating point may land a hair above 3. */
const roundingSlack = 1e-9;

/**
 * Broker processes each pod runs: spec.workers, else the broker container's CPU limit rounded up
 * (500m → 1, 1.5 → 2; at most maxWorkers), else 1.
 */
export function desiredWorkers(spec: Pick<MessageBrokerSpec, "workers" | "resources">): number {
  if (spec.workers !== undefined) return spec.workers;
  const limit = spec.resources.limits?.cpu;
  const cores = limit === undefined ? undefined : quantityValue(String(limit));
  if (cores === undefined || !(cores > 0)) return 1;
  return Math.min(Math.ceil(cores - roundingSlack), maxWorkers);
}

/** The workers a live pod runs, from its annotation; a pod without one predates workers and runs one. */
export function runningWorkers(annotations: Readonly<Record<string, string>> | undefined): number {
  const count = Number(annotations?.[workersAnnotation]);
  return Number.isInteger(count) && count >= 1 && count <= maxWorkers ? count : 1;
}

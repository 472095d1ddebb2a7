import { serviceMonitorCrdName } from "../kube/owned-kinds.ts";
import type { ConditionState } from "./conditions.ts";
import type { Observation } from "./observation.ts";

/** Degraded: something needs a human. A failed reconcile outranks a skipped ServiceMonitor. */
export function degraded({ reconcileError, serviceMonitorSkipped }: Observation): ConditionState {
  const type = "Degraded";
  if (reconcileError !== undefined) {
    return { type, status: "True", reason: "ReconcileFailed", message: reconcileError };
  }
  if (serviceMonitorSkipped) {
    return {
      type,
      status: "True",
      reason: "ServiceMonitorSkipped",
      message: `monitoring.serviceMonitor.enabled is true but the CRD ${serviceMonitorCrdName} is not installed; no ServiceMonitor was created.`,
    };
  }
  return { type, status: "False", reason: "AsExpected", message: "Every child is applied." };
}

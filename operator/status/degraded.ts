import { certificateCrdName, serviceMonitorCrdName } from "../kube/owned-kinds.ts";
import { conditionStates, type ConditionState } from "./conditions.ts";
import type { Observation } from "./observation.ts";

const state = conditionStates("Degraded");

/**
 * Degraded: something needs a human. A failed reconcile outranks a stalled scale step (which may
 * be its consequence), which outranks a missing certificate issuer, which outranks a skipped
 * ServiceMonitor.
 */
export function degraded({
  reconcileError,
  scalingStall,
  certificateSkipped,
  serviceMonitorSkipped,
}: Observation): ConditionState {
  if (reconcileError !== undefined) return state("True", "ReconcileFailed", reconcileError);
  if (scalingStall !== undefined) return state("True", "ScalingStalled", scalingStall);
  if (certificateSkipped) {
    return state(
      "True",
      "CertManagerMissing",
      `tls.issuerRef is set but the CRD ${certificateCrdName} is not installed; the brokers wait for their certificate.`,
    );
  }
  if (serviceMonitorSkipped) {
    return state(
      "True",
      "ServiceMonitorSkipped",
      `monitoring.serviceMonitor.enabled is true but the CRD ${serviceMonitorCrdName} is not installed; no ServiceMonitor was created.`,
    );
  }
  return state("False", "AsExpected", "Every child is applied.");
}

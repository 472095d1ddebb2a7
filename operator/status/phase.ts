import type { Phase } from "../api/v1alpha1/index.ts";
import type { ConditionState } from "./conditions.ts";

/** One word for `kubectl get mb`, derived from the conditions (tools should read those). */
export function phase(conditions: {
  ready: ConditionState;
  progressing: ConditionState;
  degraded: ConditionState;
  brokersExist: boolean;
}): Phase {
  const { ready, progressing, degraded, brokersExist } = conditions;
  if (degraded.status === "True") return "Degraded";
  if (progressing.status === "True" && progressing.reason === "Scaling") return "Scaling";
  if (ready.status === "True") return "Running";
  return brokersExist ? "Provisioning" : "Pending";
}

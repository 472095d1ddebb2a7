import type { MessageBrokerStatus } from "../api/v1alpha1/index.ts";
import { conditionStates, withTransitionTime } from "../status/conditions.ts";
import type { Scaling } from "./plan.ts";

const scalingState = conditionStates("Scaling");

/**
 * `status` with the scale record and the Scaling condition. The condition appears with the first
 * scale and then stays, False between scales.
 */
export function withScaling(
  status: MessageBrokerStatus,
  scaling: Scaling | undefined,
  generation: number | undefined,
  now: string,
): MessageBrokerStatus {
  const rest = { ...status };
  delete rest.scaling;
  const previous = status.conditions ?? [];
  const hadCondition = previous.some((condition) => condition.type === "Scaling");
  if (!scaling && !hadCondition) return rest;
  const state = scaling
    ? scalingState(
        "True",
        scaling.step,
        `Scaling from ${scaling.from} to ${scaling.to} broker pods: ${scaling.step}${
          scaling.targetEpoch === undefined ? "" : ` (membership epoch ${scaling.targetEpoch})`
        }.`,
      )
    : scalingState("False", "Idle", "No scale in progress.");
  const condition = withTransitionTime(state, previous, generation, now);
  const conditions = previous.map((existing) =>
    existing.type === "Scaling" ? condition : existing,
  );
  return {
    ...rest,
    ...(scaling ? { scaling } : {}),
    conditions: hadCondition ? conditions : [...conditions, condition],
  };
}

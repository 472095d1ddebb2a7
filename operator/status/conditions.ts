import type { Condition, ConditionType } from "../api/v1alpha1/index.ts";

/** A condition as computed, before it gets its transition time. */
export interface ConditionState<T extends string = ConditionType> {
  type: T;
  status: Condition["status"];
  reason: string;
  message: string;
}

/** Builds the states of one condition type, so each reads `state(status, reason, message)`. */
export function conditionStates(type: ConditionType) {
  return (status: Condition["status"], reason: string, message: string): ConditionState => ({
    type,
    status,
    reason,
    message,
  });
}

/**
 * metav1.Condition semantics: lastTransitionTime changes only when the status changes, so a
 * reconcile that finds nothing new produces the very same conditions (and writes nothing). Any
 * kind's conditions: a MessageBroker's or a MessageBrokerUser's.
 */
export function withTransitionTime<T extends string>(
  state: ConditionState<T>,
  previous:
    readonly (Pick<Condition, "status" | "lastTransitionTime"> & { type: string })[] | undefined,
  observedGeneration: number | undefined,
  now: string,
): ConditionState<T> & Pick<Condition, "observedGeneration" | "lastTransitionTime"> {
  const before = previous?.find((condition) => condition.type === state.type);
  const lastTransitionTime =
    before && before.status === state.status ? before.lastTransitionTime : now;
  return {
    ...state,
    ...(observedGeneration === undefined ? {} : { observedGeneration }),
    lastTransitionTime,
  };
}

/** metav1.Time: RFC 3339 with whole seconds. */
export function metaTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

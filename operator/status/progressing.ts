import { conditionStates, type ConditionState } from "./conditions.ts";
import type { Observation } from "./observation.ts";

const state = conditionStates("Progressing");

/** Progressing: the broker StatefulSet is still moving towards the spec. */
export function progressing({ broker, brokers }: Observation): ConditionState {
  const wanted = broker.spec.replicas;
  if (!brokers) return state("True", "Creating", "Creating the broker StatefulSet.");
  if (brokers.current === 0 && brokers.desired === wanted && wanted > 0) {
    return state("True", "Creating", `Creating ${wanted} broker pods.`);
  }
  if (brokers.current !== wanted || brokers.desired !== wanted) {
    return state("True", "Scaling", `Scaling from ${brokers.current} to ${wanted} broker pods.`);
  }
  if (!brokers.rolledOut) {
    return state("True", "RollingOut", "Rolling the broker pods to the latest spec.");
  }
  if (brokers.ready < wanted) {
    return state("True", "AwaitingReadyPods", `${brokers.ready}/${wanted} broker pods ready.`);
  }
  return state("False", "Complete", "The broker pods run the latest spec.");
}

/** Progressing while reconciliation is paused: nothing moves until the annotation goes. */
export const pausedProgressing = state(
  "False",
  "Paused",
  "Reconciliation is paused by the herald.dev/paused annotation.",
);

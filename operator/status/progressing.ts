import type { ConditionState } from "./conditions.ts";
import type { Observation } from "./observation.ts";

/** Progressing: the broker StatefulSet is still moving towards the spec. */
export function progressing({ broker, brokers }: Observation): ConditionState {
  const type = "Progressing";
  const wanted = broker.spec.replicas;
  if (!brokers) {
    return {
      type,
      status: "True",
      reason: "Creating",
      message: "Creating the broker StatefulSet.",
    };
  }
  if (brokers.current === 0 && brokers.desired === wanted && wanted > 0) {
    return { type, status: "True", reason: "Creating", message: `Creating ${wanted} broker pods.` };
  }
  if (brokers.current !== wanted || brokers.desired !== wanted) {
    return {
      type,
      status: "True",
      reason: "Scaling",
      message: `Scaling from ${brokers.current} to ${wanted} broker pods.`,
    };
  }
  if (!brokers.rolledOut) {
    return {
      type,
      status: "True",
      reason: "RollingOut",
      message: "Rolling the broker pods to the latest spec.",
    };
  }
  if (brokers.ready < wanted) {
    return {
      type,
      status: "True",
      reason: "AwaitingReadyPods",
      message: `${brokers.ready}/${wanted} broker pods ready.`,
    };
  }
  return {
    type,
    status: "False",
    reason: "Complete",
    message: "The broker pods run the latest spec.",
  };
}

/** Progressing while reconciliation is paused: nothing moves until the annotation goes. */
export const pausedProgressing: ConditionState = {
  type: "Progressing",
  status: "False",
  reason: "Paused",
  message: "Reconciliation is paused by the herald.dev/paused annotation.",
};

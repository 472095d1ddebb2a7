import type { ConditionState } from "./conditions.ts";
import type { Observation } from "./observation.ts";

/** Ready: every wanted broker pod is ready on the latest spec, and the store is ready. */
export function ready({ broker, brokers }: Observation, storage: ConditionState): ConditionState {
  const type = "Ready";
  const wanted = broker.spec.replicas;
  if (storage.status !== "True") {
    return { type, status: "False", reason: "StorageNotReady", message: storage.message };
  }
  if (!brokers || !brokers.rolledOut || brokers.desired !== wanted) {
    return {
      type,
      status: "False",
      reason: "RollingOut",
      message: "The broker pods do not yet run the latest spec.",
    };
  }
  if (brokers.ready < wanted) {
    return {
      type,
      status: "False",
      reason: "PodsNotReady",
      message: `${brokers.ready}/${wanted} broker pods ready.`,
    };
  }
  return {
    type,
    status: "True",
    reason: "AllPodsReady",
    message: `${brokers.ready}/${wanted} broker pods ready.`,
  };
}

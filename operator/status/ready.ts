import { conditionStates, type ConditionState } from "./conditions.ts";
import type { Observation } from "./observation.ts";

const state = conditionStates("Ready");

/** Ready: every wanted broker pod is ready on the latest spec, and the store is ready. */
export function ready({ broker, brokers }: Observation, storage: ConditionState): ConditionState {
  const wanted = broker.spec.replicas;
  if (storage.status !== "True") return state("False", "StorageNotReady", storage.message);
  if (!brokers || !brokers.rolledOut || brokers.desired !== wanted) {
    return state("False", "RollingOut", "The broker pods do not yet run the latest spec.");
  }
  const message = `${brokers.ready}/${wanted} broker pods ready.`;
  return brokers.ready < wanted
    ? state("False", "PodsNotReady", message)
    : state("True", "AllPodsReady", message);
}

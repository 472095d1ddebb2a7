import { conditionStates, type ConditionState } from "./conditions.ts";
import type { Observation } from "./observation.ts";

const state = conditionStates("StorageReady");

/** StorageReady: the message store can take writes, as far as the operator can see. */
export function storageReady({ store, storeUnavailable }: Observation): ConditionState {
  // Only the brokers see the store through their own network and credentials: their word wins.
  if (store.kind !== "memory" && storeUnavailable !== undefined) {
    return state("False", "StoreUnavailable", storeUnavailable);
  }
  switch (store.kind) {
    case "memory":
      return state("True", "MemoryStore", "Messages live in the broker's memory.");
    case "external":
      return state(
        "True",
        "ExternalStore",
        "The brokers use an external store; the brokers' readiness reports whether it is reachable.",
      );
    case "managed": {
      const { workload } = store;
      if (!workload) {
        return state("False", "ManagedStoreMissing", "The managed store is being created.");
      }
      const ready = workload.ready >= workload.desired && workload.desired > 0;
      const message = `${workload.ready}/${workload.desired} managed store pods ready.`;
      return ready
        ? state("True", "ManagedStoreReady", message)
        : state("False", "ManagedStoreNotReady", message);
    }
  }
}

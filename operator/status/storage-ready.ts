import type { ConditionState } from "./conditions.ts";
import type { Observation } from "./observation.ts";

/** StorageReady: the message store can take writes, as far as the operator can see. */
export function storageReady({ store }: Observation): ConditionState {
  const type = "StorageReady";
  switch (store.kind) {
    case "memory":
      return {
        type,
        status: "True",
        reason: "MemoryStore",
        message: "Messages live in the broker's memory.",
      };
    case "external":
      return {
        type,
        status: "True",
        reason: "ExternalStore",
        message:
          "The brokers use an external store; the brokers' readiness reports whether it is reachable.",
      };
    case "managed": {
      const { workload } = store;
      if (!workload) {
        return {
          type,
          status: "False",
          reason: "ManagedStoreMissing",
          message: "The managed store is being created.",
        };
      }
      const ready = workload.ready >= workload.desired && workload.desired > 0;
      return {
        type,
        status: ready ? "True" : "False",
        reason: ready ? "ManagedStoreReady" : "ManagedStoreNotReady",
        message: `${workload.ready}/${workload.desired} managed store pods ready.`,
      };
    }
  }
}

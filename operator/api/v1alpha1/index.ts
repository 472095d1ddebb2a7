/** herald.dev/v1alpha1: the MessageBroker API. The zod schemas are the source of the types and the CRD. */
export * from "./group.ts";
export {
  conditionTypes,
  conditionTypeNames,
  type Condition,
  type ConditionType,
} from "./conditions.ts";
export {
  storageTypes,
  type Storage,
  type StorageType,
  type PostgresStorage,
  type CassandraStorage,
} from "./storage.ts";
export {
  messageBrokerSpecSchema,
  type MessageBrokerSpec,
  type MessageBrokerSpecInput,
} from "./spec.ts";
export {
  messageBrokerStatusSchema,
  phases,
  scalingSteps,
  type MessageBrokerStatus,
  type Phase,
  type ScalingStep,
} from "./status.ts";
export {
  messageBrokerSchema,
  maxNameLength,
  type MessageBroker,
  type MessageBrokerInput,
} from "./message-broker.ts";

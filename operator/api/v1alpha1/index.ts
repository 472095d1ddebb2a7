/** herald.dev/v1alpha1: the MessageBroker and MessageBrokerUser APIs. The zod schemas are the source of the types and the CRDs. */
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
export {
  messageBrokerUserSchema,
  messageBrokerUserSpecSchema,
  messageBrokerUserStatusSchema,
  userConditionTypes,
  userPermissionsSchema,
  type MessageBrokerUser,
  type MessageBrokerUserInput,
  type MessageBrokerUserStatus,
  type UserConditionType,
} from "./message-broker-user.ts";

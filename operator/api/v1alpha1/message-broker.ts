import { z } from "zod";
import { celRules } from "./cel.ts";
import { apiVersion, kind } from "./group.ts";
import { messageBrokerSpecSchema } from "./spec.ts";
import { messageBrokerStatusSchema } from "./status.ts";

/**
 * The longest MessageBroker name whose children still fit Kubernetes' limits: the managed
 * store's StatefulSet `<name>-cassandra` must leave room for the 11-character revision hash
 * in its 63-character `controller-revision-hash` label.
 */
export const maxNameLength = 42;

/**
 * The metadata fields the operator reads; the API server owns and validates the rest, so the CRD
 * schema leaves metadata out (the generator emits only spec, status and the root rules).
 */
export const objectMetaSchema = z.looseObject({
  name: z.string(),
  namespace: z.string(),
  uid: z.string(),
  generation: z.int().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  deletionTimestamp: z.string().optional(),
  creationTimestamp: z.string().optional(),
});

export const messageBrokerSchema = z
  .object({
    apiVersion: z.literal(apiVersion),
    kind: z.literal(kind),
    metadata: objectMetaSchema,
    spec: messageBrokerSpecSchema.prefault({}),
    status: messageBrokerStatusSchema.optional(),
  })
  // Only rules at the root may read metadata.name.
  .meta(
    celRules({
      rule: `size(self.metadata.name) <= ${maxNameLength} && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')`,
      message: `metadata.name must be a DNS label of at most ${maxNameLength} characters (children append suffixes such as -cassandra)`,
    }),
  )
  .describe(
    "MessageBroker runs a Herald gRPC message-broker cluster: brokers, their store, and their integrations.",
  );

export type MessageBroker = z.infer<typeof messageBrokerSchema>;
export type MessageBrokerInput = z.input<typeof messageBrokerSchema>;

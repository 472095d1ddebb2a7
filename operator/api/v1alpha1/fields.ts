import type { V1Affinity, V1TopologySpreadConstraint } from "@kubernetes/client-node";
import { z } from "zod";

/** Field builders shared by the spec and status schemas: Kubernetes value types in zod form. */

/** resource.Quantity as the API server parses it, e.g. `10Gi`, `500m`, `1.5`. */
export const quantityPattern =
  /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

/** A DNS-1123 subdomain: names of Secrets, StorageClasses, PriorityClasses. */
export const dnsSubdomainPattern =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function quantity(description: string) {
  return z.string().max(64).regex(quantityPattern).describe(description);
}

export function objectName(description: string) {
  return z.string().min(1).max(253).regex(dnsSubdomainPattern).describe(description);
}

/** String-to-string map such as labels, annotations or nodeSelector (the API server checks the keys). */
export function stringMap(description: string) {
  return z.record(z.string(), z.string()).describe(description);
}

/** A ResourceList value: a quantity, written as a string or an integer (`cpu: 2`). */
const resourceListSchema = z
  .record(z.string(), z.union([z.int(), z.string().regex(quantityPattern)]))
  .describe("Resource name (cpu, memory, ephemeral-storage) to quantity.");

/** Compute resources of one container, as in a Pod's `resources`. */
export function resourceRequirements(description: string) {
  return z
    .object({
      requests: resourceListSchema
        .optional()
        .describe("Minimum resources the scheduler reserves for the container."),
      limits: resourceListSchema.optional().describe("Maximum resources the container may use."),
    })
    .describe(description);
}

/**
 * A core Kubernetes type (affinity, topology spread) passed through to the Pod verbatim. It is
 * kept as an open object (`x-kubernetes-preserve-unknown-fields`) rather than copied field by
 * field: the API server validates it fully when the StatefulSet is applied, and its failure
 * shows in the MessageBroker's status. The cast names the type the value is handed on as.
 */
export function passthrough<T extends object>(description: string): z.ZodType<T> {
  return z
    .record(z.string(), z.unknown())
    .meta({ "x-kubernetes-preserve-unknown-fields": true })
    .describe(description) as unknown as z.ZodType<T>;
}

export const affinitySchema = passthrough<V1Affinity>(
  "Pod affinity and anti-affinity, as in a Pod's `spec.affinity` (core/v1 Affinity).",
);

export const topologySpreadConstraintSchema = passthrough<V1TopologySpreadConstraint>(
  "One topology spread constraint, as in a Pod's `spec.topologySpreadConstraints` (core/v1).",
);

export const tolerationSchema = z
  .object({
    key: z
      .string()
      .max(316)
      .optional()
      .describe("Taint key the toleration applies to; empty matches every key."),
    operator: z
      .enum(["Equal", "Exists"])
      .optional()
      .describe("How key and value match: Equal (default) or Exists."),
    value: z.string().max(63).optional().describe("Taint value to match when operator is Equal."),
    effect: z
      .enum(["NoSchedule", "PreferNoSchedule", "NoExecute"])
      .optional()
      .describe("Taint effect to match; empty matches every effect."),
    tolerationSeconds: z
      .int()
      .optional()
      .describe(
        "For NoExecute: how long the pod stays bound after the taint appears; unset means forever.",
      ),
  })
  .describe("A toleration, as in a Pod's `spec.tolerations` (core/v1 Toleration).");

/** Where an external store's credentials live: keys of one Secret in the MessageBroker's namespace. */
export const credentialsSecretSchema = z
  .object({
    name: objectName("Name of a Secret in the MessageBroker's namespace."),
    usernameKey: z
      .string()
      .min(1)
      .max(253)
      .default("username")
      .describe("Key of the user name in the Secret."),
    passwordKey: z
      .string()
      .min(1)
      .max(253)
      .default("password")
      .describe("Key of the password in the Secret."),
  })
  .describe(
    "Secret holding the store's user name and password. They reach the brokers only as secretKeyRef env, never in a ConfigMap.",
  );

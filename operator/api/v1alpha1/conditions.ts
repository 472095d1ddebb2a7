import { z } from "zod";

/**
 * Every condition type the operator reports, declared once: the status schema, the CRD
 * documentation and the status writers all derive from this record.
 */
export const conditionTypes = {
  Ready: "True when every desired broker pod is ready at the current spec and membership epoch.",
  Progressing:
    "True while the operator rolls out a change: new pods, a new image or config, a scale step.",
  Degraded:
    "True when something needs attention: a failed apply, a scale step stalled on a broker pod, a skipped ServiceMonitor.",
  StorageReady:
    "True when the message store is reachable: managed store pods ready, or external settings complete.",
  Scaling:
    "True while a scale operation moves subjects between brokers; its message says from, to and the step.",
} as const;

export type ConditionType = keyof typeof conditionTypes;
export const conditionTypeNames = Object.keys(conditionTypes) as ConditionType[];

/**
 * metav1.Condition, with the type restricted to `types` (each type with what it means), for the
 * status of a `kind`.
 */
export function conditionSchemaOf<T extends string>(types: Record<T, string>, kind: string) {
  const names = Object.keys(types) as [T, ...T[]];
  const typeList = names.map((type) => `${type}: ${types[type]}`).join(" ");
  return z
    .object({
      type: z.enum(names).describe(`Condition type. ${typeList}`),
      status: z
        .enum(["True", "False", "Unknown"])
        .describe("Whether the condition holds: True, False or Unknown."),
      observedGeneration: z
        .int()
        .min(0)
        .optional()
        .describe(`metadata.generation of the ${kind} that the condition was computed from.`),
      lastTransitionTime: z.iso
        .datetime({ offset: true })
        .describe("When the status last changed."),
      reason: z
        .string()
        .min(1)
        .max(1024)
        .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
        .describe("Machine-readable CamelCase reason for the last transition."),
      message: z.string().max(32768).describe("Human-readable details of the last transition."),
    })
    .describe("A condition in the metav1.Condition shape.");
}

export const conditionSchema = conditionSchemaOf(conditionTypes, "MessageBroker");

export type Condition = z.infer<typeof conditionSchema>;

/**
 * A CEL rule as the API server evaluates it (`x-kubernetes-validations`). Rules sit next to the
 * zod field they guard, through `.meta(celRules(...))`, so the schema stays the single source.
 */
export interface CelRule {
  rule: string;
  message: string;
  /** JSONPath (relative to the rule's node) that the error is reported on. */
  fieldPath?: string;
  reason?:
    "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

export const celRulesKey = "x-kubernetes-validations";

export function celRules(...rules: CelRule[]): { [celRulesKey]: CelRule[] } {
  return { [celRulesKey]: rules };
}

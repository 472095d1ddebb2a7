import { run } from "@bufbuild/cel";
import type { SchemaNode } from "../crd/schema-node.ts";

/**
 * Evaluates a CRD schema's `x-kubernetes-validations` on an object, the way the API server
 * does after defaulting: each rule sees `self` (and, for transition rules, `oldSelf`) typed by
 * the schema, so integers are CEL ints and objects are maps. Lets unit tests exercise every
 * rule without an API server; the integration test checks the same rules on the real one.
 */
export interface CelViolation {
  path: string;
  message: string;
}

export function celViolations(
  schema: SchemaNode,
  value: unknown,
  oldValue?: unknown,
  path = "$",
): CelViolation[] {
  if (value === undefined) return [];
  const own = (schema["x-kubernetes-validations"] ?? []).flatMap(({ rule, message }) => {
    const isTransition = /\boldSelf\b/.test(rule);
    if (isTransition && oldValue === undefined) return [];
    const bindings = {
      self: toCel(value, schema),
      ...(isTransition ? { oldSelf: toCel(oldValue, schema) } : {}),
    };
    const result = evaluate(rule, bindings);
    return result === true
      ? []
      : [{ path, message: result === false ? message : `${message} (error: ${result})` }];
  });
  return [...own, ...childViolations(schema, value, oldValue, path)];
}

function childViolations(
  schema: SchemaNode,
  value: unknown,
  oldValue: unknown,
  path: string,
): CelViolation[] {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (!items || Array.isArray(items)) return [];
    return value.flatMap((item, index) =>
      celViolations(items, item, undefined, `${path}[${index}]`),
    );
  }
  if (!isRecord(value)) return [];
  const old = isRecord(oldValue) ? oldValue : {};
  return Object.entries(value).flatMap(([key, child]) => {
    const childSchema = schema.properties?.[key] ?? additional(schema);
    return childSchema ? celViolations(childSchema, child, old[key], `${path}.${key}`) : [];
  });
}

function evaluate(rule: string, bindings: Record<string, unknown>): boolean | string {
  try {
    const result: unknown = run(rule, bindings as Parameters<typeof run>[1]);
    return typeof result === "boolean" ? result : String(result);
  } catch (error) {
    return String(error);
  }
}

/** JSON → CEL input: maps for objects, bigint where the schema says integer. */
function toCel(value: unknown, schema: SchemaNode | undefined): unknown {
  if (Array.isArray(value)) {
    const items = schema?.items;
    return value.map((item) => toCel(item, Array.isArray(items) ? undefined : items));
  }
  if (isRecord(value)) {
    return new Map(
      Object.entries(value)
        .filter(([, child]) => child !== undefined)
        .map(([key, child]) => [
          key,
          toCel(child, schema?.properties?.[key] ?? additional(schema)),
        ]),
    );
  }
  const isInteger = schema?.type === "integer" || schema?.["x-kubernetes-int-or-string"] === true;
  return typeof value === "number" && isInteger && Number.isInteger(value) ? BigInt(value) : value;
}

function additional(schema: SchemaNode | undefined): SchemaNode | undefined {
  return typeof schema?.additionalProperties === "object" ? schema.additionalProperties : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The messages of the rules a `kind` named `name` with `spec` breaks (against `oldSpec` for
 * transition rules), after `parse` applied zod's defaults, the same ones the API server applies.
 */
export function specRuleMessages<Spec>(
  schema: SchemaNode,
  parse: (object: unknown) => unknown,
  resource: { kind: string; name: string },
  spec: Spec,
  oldSpec?: Spec,
): string[] {
  const object = (s: Spec) =>
    parse({
      apiVersion: "herald.dev/v1alpha1",
      kind: resource.kind,
      metadata: { name: resource.name, namespace: "default", uid: "u" },
      spec: s,
    });
  return celViolations(schema, object(spec), oldSpec && object(oldSpec)).map((v) => v.message);
}

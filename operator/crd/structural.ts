import { z } from "zod";
import type { SchemaNode } from "./schema-node.ts";

/** zod → OpenAPI (docs/decisions/0004-zod-single-source-of-crd.md; input types, so defaulted fields are optional; no $refs), made structural. */
export function crdSchemaOf(schema: z.ZodType): SchemaNode {
  const json = z.toJSONSchema(schema, {
    target: "openapi-3.0",
    io: "input",
    cycles: "throw",
    reused: "inline",
    override: ({ zodSchema, jsonSchema }) => {
      // OpenAPI 3.0 writes a tuple as a list of a union, which could pass for int-or-string below.
      if (zodSchema._zod.def.type === "tuple")
        throw new Error("tuples are not allowed in a structural CRD schema");
      // A prefault emits its input (`{}`), but the API server checks CEL rules against a default
      // as written, without the nested defaults: state the fully defaulted object instead.
      if (zodSchema._zod.def.type === "prefault")
        jsonSchema.default = z.parse(zodSchema, undefined);
    },
  });
  return toStructural(json as SchemaNode);
}

/**
 * Turns zod's OpenAPI 3.0 output into a structural schema the API server accepts
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema):
 * every node has a type, unions only as `x-kubernetes-int-or-string`, no tuples, no keyword the
 * API server refuses. Anything it cannot map throws, naming the path, so a schema change that
 * would break the CRD fails the generator rather than `kubectl apply`.
 */
export function toStructural(node: SchemaNode, path = "$"): SchemaNode {
  rejectUnsupported(node, path);
  if (node.anyOf) return intOrString(node, path);

  const out: SchemaNode = { ...node };
  if (out.properties) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([name, child]) => [
        name,
        toStructural(child, `${path}.${name}`),
      ]),
    );
    // zod's strict objects emit this; structural schemas prune unknown fields instead.
    if (out.additionalProperties === false) delete out.additionalProperties;
  }
  if (out["x-kubernetes-preserve-unknown-fields"]) {
    delete out.additionalProperties;
  } else if (typeof out.additionalProperties === "object") {
    if (!out.additionalProperties.type && !out.additionalProperties.anyOf) {
      throw new Error(
        `${path}: a map of untyped values needs x-kubernetes-preserve-unknown-fields`,
      );
    }
    out.additionalProperties = toStructural(out.additionalProperties, `${path}.*`);
  }
  if (out.items && !Array.isArray(out.items)) out.items = toStructural(out.items, `${path}[]`);
  // The API server checks `format: date-time` itself; zod's equivalent regex only adds noise.
  if (out.format === "date-time") delete out.pattern;
  return inReadingOrder(out.type === "integer" ? withoutMachineBounds(out) : out);
}

/** type and description first, so the generated YAML reads like a hand-written CRD. */
function inReadingOrder({ type, description, ...rest }: SchemaNode): SchemaNode {
  return { ...(type ? { type } : {}), ...(description ? { description } : {}), ...rest };
}

function rejectUnsupported(node: SchemaNode, path: string): void {
  const refused = [
    "$ref",
    "not",
    "const",
    "prefixItems",
    "propertyNames",
    "oneOf",
    "allOf",
    "patternProperties",
  ];
  for (const keyword of refused) {
    if (keyword in node)
      throw new Error(`${path}: "${keyword}" is not allowed in a structural CRD schema`);
  }
  if (Array.isArray(node.items))
    throw new Error(`${path}: tuples are not allowed in a structural CRD schema`);
  if (!node.type && !node.anyOf && !node["x-kubernetes-preserve-unknown-fields"]) {
    throw new Error(`${path}: every node of a structural schema needs a type`);
  }
}

/** A string-or-integer union (a Quantity) becomes the API server's int-or-string form. */
function intOrString(node: SchemaNode, path: string): SchemaNode {
  const branches = node.anyOf ?? [];
  const types = branches.map((branch) => branch.type).sort();
  if (types.length !== 2 || types[0] !== "integer" || types[1] !== "string") {
    throw new Error(
      `${path}: only integer-or-string unions are allowed, found anyOf [${types.join(", ")}]`,
    );
  }
  const pattern = branches.find((branch) => branch.type === "string")?.pattern;
  const out: SchemaNode = { ...node, anyOf: [{ type: "integer" }, { type: "string" }] };
  if (pattern) out.pattern = pattern;
  return {
    ...out,
    "x-kubernetes-int-or-string": true,
  };
}

const machineBounds = new Set([
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  2 ** 31 - 1,
  -(2 ** 31),
]);

/** zod states the machine range of every integer; keep only the bounds the schema chose. */
function withoutMachineBounds(node: SchemaNode): SchemaNode {
  const { minimum, maximum, ...rest } = node;
  return {
    ...rest,
    ...(minimum === undefined || machineBounds.has(minimum) ? {} : { minimum }),
    ...(maximum === undefined || machineBounds.has(maximum) ? {} : { maximum }),
  };
}

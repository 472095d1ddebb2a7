import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { messageBrokerSchema } from "../api/v1alpha1/index.ts";
import { celViolations } from "../test/cel-evaluate.ts";
import { crdFile, crdYaml } from "../../tools/crd/crd-file.ts";
import { messageBrokerOpenApiSchema, type messageBrokerCrd } from "./messagebroker-crd.ts";
import type { SchemaNode } from "./schema-node.ts";

const schema = messageBrokerOpenApiSchema();

/** Every node below the root with its dotted path, as `kubectl explain` walks them. */
function nodes(node: SchemaNode, path = "mb"): [string, SchemaNode][] {
  const properties = Object.entries(node.properties ?? {}).map(
    ([name, child]) => [`${path}.${name}`, child] as const,
  );
  const items =
    node.items && !Array.isArray(node.items) ? [[`${path}[]`, node.items] as const] : [];
  return [...properties, ...items].flatMap(([childPath, child]) => [
    [childPath, child],
    ...nodes(child, childPath),
  ]);
}

describe("MessageBroker CRD", () => {
  it("is committed as generated (run `npm run crd:generate`)", async () => {
    expect(await readFile(crdFile, "utf8")).toBe(crdYaml());
  });

  it("describes every property, for kubectl explain", () => {
    const undocumented = nodes(schema)
      .filter(([path, node]) => path !== "mb.metadata" && !node.description?.trim())
      .map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  it("is structural: a type on every node, unions only as int-or-string", () => {
    for (const [path, node] of nodes(schema)) {
      const typed = node.type !== undefined || node["x-kubernetes-int-or-string"] === true;
      expect(typed, path).toBe(true);
      expect(node.oneOf ?? node.allOf, path).toBeUndefined();
      if (node.properties) expect(node.additionalProperties, path).toBeUndefined();
    }
  });

  it("bounds every string and list of spec and status, so CEL cost estimates stay within the budget", () => {
    const unbounded = nodes(schema)
      .filter(([path]) => path.startsWith("mb.spec.") || path.startsWith("mb.status."))
      .filter(
        ([, node]) =>
          (node.type === "string" && !node.enum && !node.format && node.maxLength === undefined) ||
          (node.type === "array" && node.maxItems === undefined),
      )
      .map(([path]) => path);
    expect(unbounded).toEqual([]);
  });

  it("defaults agree with the zod schema: an empty spec defaults to the same object", () => {
    const parsed = messageBrokerSchema.shape.spec.parse(undefined);
    expect(parsed).toMatchObject({
      replicas: 1,
      storage: { type: "memory", batch: { maxSize: 1000, maxDelayMs: 5 } },
    });
    expect(schema.properties?.spec?.default).toEqual(parsed);
  });

  it("states defaults that pass the CEL rules as written, as the API server checks them", () => {
    const failing = nodes(schema)
      .filter(([, node]) => node.default !== undefined)
      .flatMap(([path, node]) => celViolations(node, node.default, undefined, path))
      .map(({ path, message }) => `${path}: ${message}`);
    expect(failing).toEqual([]);
  });

  it("has the status and scale subresources, printer columns and short name", () => {
    const crd = parse(crdYaml()) as ReturnType<typeof messageBrokerCrd>;
    const [version] = crd.spec.versions;
    expect(crd.metadata.name).toBe("messagebrokers.herald.dev");
    expect(crd.spec.names).toMatchObject({
      kind: "MessageBroker",
      plural: "messagebrokers",
      shortNames: ["mb"],
    });
    expect(version?.subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: ".spec.replicas",
        statusReplicasPath: ".status.replicas",
        labelSelectorPath: ".status.selector",
      },
    });
    expect(version?.additionalPrinterColumns.map((c) => c.name)).toEqual([
      "Replicas",
      "Ready",
      "Storage",
      "Phase",
      "Age",
    ]);
  });

  it("makes storage.type immutable through a transition rule on that field", () => {
    const type = schema.properties?.spec?.properties?.storage?.properties?.type;
    expect(type?.["x-kubernetes-validations"]?.map((v) => v.rule)).toEqual(["self == oldSelf"]);
  });

  it("keeps free-form Kubernetes types open and quantities int-or-string", () => {
    const podTemplate = schema.properties?.spec?.properties?.podTemplate?.properties;
    expect(podTemplate?.affinity).toMatchObject({
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
    const requests = schema.properties?.spec?.properties?.resources?.properties?.requests;
    expect(requests?.additionalProperties).toMatchObject({ "x-kubernetes-int-or-string": true });
  });
});

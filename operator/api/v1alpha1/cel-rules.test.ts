import { describe, expect, it } from "vitest";
import { specRuleMessages } from "../../test/cel-evaluate.ts";
import { messageBrokerOpenApiSchema } from "../../crd/messagebroker-crd.ts";
import type { SchemaNode } from "../../crd/schema-node.ts";
import { celCases as cases } from "../../test/cel-cases.ts";
import { messageBrokerSchema, type MessageBrokerSpecInput } from "./index.ts";

const schema = messageBrokerOpenApiSchema();

/** Defaults first (zod applies the same ones the API server does), then every CEL rule. */
const violations = (
  spec: MessageBrokerSpecInput,
  oldSpec?: MessageBrokerSpecInput,
  name = "orders",
) =>
  specRuleMessages(
    schema,
    (object) => messageBrokerSchema.parse(object),
    { kind: "MessageBroker", name },
    spec,
    oldSpec,
  );

describe("CEL rules of the MessageBroker CRD", () => {
  it.each(cases)("$name", ({ spec, old, metadataName, rejectedWith }) => {
    expect(violations(spec, old, metadataName).sort()).toEqual([rejectedWith ?? []].flat().sort());
  });

  it("has a rejecting case for every rule", () => {
    const tested = new Set(cases.flatMap((c) => [c.rejectedWith ?? []].flat()));
    const untested = allRules(schema).filter((rule) => !tested.has(rule.message));
    expect(untested).toEqual([]);
  });
});

function allRules(node: SchemaNode): { rule: string; message: string }[] {
  const children = [
    ...Object.values(node.properties ?? {}),
    ...(node.items && !Array.isArray(node.items) ? [node.items] : []),
    ...(typeof node.additionalProperties === "object" ? [node.additionalProperties] : []),
  ];
  return [...(node["x-kubernetes-validations"] ?? []), ...children.flatMap(allRules)];
}

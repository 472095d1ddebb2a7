import { describe, expect, it } from "vitest";
import { messageBrokerUserSchema, type MessageBrokerUserInput } from "../api/v1alpha1/index.ts";
import { specRuleMessages } from "../test/cel-evaluate.ts";
import { messageBrokerUserCrd, messageBrokerUserOpenApiSchema } from "./messagebrokeruser-crd.ts";

const schema = messageBrokerUserOpenApiSchema();

const violations = (
  spec: MessageBrokerUserInput["spec"],
  oldSpec?: MessageBrokerUserInput["spec"],
  name = "alice",
) =>
  specRuleMessages(
    schema,
    (object) => messageBrokerUserSchema.parse(object),
    { kind: "MessageBrokerUser", name },
    spec,
    oldSpec,
  );

describe("MessageBrokerUser CRD", () => {
  it("has the status subresource, printer columns and short name", () => {
    const crd = messageBrokerUserCrd();
    const [version] = crd.spec.versions;
    expect(crd.metadata.name).toBe("messagebrokerusers.herald.dev");
    expect(crd.spec.names).toMatchObject({
      kind: "MessageBrokerUser",
      plural: "messagebrokerusers",
      shortNames: ["mbu"],
      categories: ["herald"],
    });
    expect(version?.subresources).toEqual({ status: {} });
    expect(version?.additionalPrinterColumns.map((c) => c.name)).toEqual([
      "Broker",
      "Ready",
      "Secret",
      "Age",
    ]);
  });

  it("requires spec.broker and defaults the permissions to none", () => {
    const spec = schema.properties?.spec;
    expect(spec?.required).toEqual(["broker"]);
    expect(spec?.properties?.permissions?.default).toEqual({
      publish: [],
      subscribe: [],
      fetch: [],
      consume: [],
      deny: { publish: [], subscribe: [], fetch: [], consume: [] },
    });
  });

  it("accepts a new user and a change of permissions", () => {
    expect(violations({ broker: "orders" })).toEqual([]);
    expect(
      violations({ broker: "orders", permissions: { publish: ["a.>"] } }, { broker: "orders" }),
    ).toEqual([]);
  });

  it("keeps spec.broker immutable", () => {
    expect(violations({ broker: "payments" }, { broker: "orders" })).toEqual([
      "broker is immutable: make another MessageBrokerUser for another MessageBroker",
    ]);
  });

  it("refuses a name too long for its credentials Secret", () => {
    expect(violations({ broker: "orders" }, undefined, "a".repeat(242))).toEqual([
      "metadata.name must be at most 241 characters (the credentials Secret appends -credentials)",
    ]);
  });
});

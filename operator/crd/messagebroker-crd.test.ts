import { describe, expect, it } from "vitest";
import { messageBrokerSchema } from "../api/v1alpha1/index.ts";
import { messageBrokerCrd, messageBrokerOpenApiSchema } from "./messagebroker-crd.ts";

const schema = messageBrokerOpenApiSchema();

describe("MessageBroker CRD", () => {
  it("defaults agree with the zod schema: an empty spec defaults to the same object", () => {
    const parsed = messageBrokerSchema.shape.spec.parse(undefined);
    expect(parsed).toMatchObject({
      replicas: 1,
      storage: { type: "memory", batch: { maxSize: 1000, maxDelayMs: 5 } },
    });
    expect(schema.properties?.spec?.default).toEqual(parsed);
  });

  it("has the status and scale subresources, printer columns and short name", () => {
    const crd = messageBrokerCrd();
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
      "Workers",
      "Storage",
      "TLS",
      "Auth",
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

import { describe, expect, it } from "vitest";
import { childMetadata, ownerReference, selectorLabels } from "./metadata.ts";
import { brokerFixture } from "../test/fixtures.ts";

describe("child metadata", () => {
  const broker = brokerFixture();

  it("carries the recommended labels, which win over extra labels", () => {
    const metadata = childMetadata(broker, {
      name: "orders-x",
      component: "postgres",
      labels: { team: "payments", "app.kubernetes.io/part-of": "mine" },
    });
    expect(metadata).toMatchObject({ name: "orders-x", namespace: "shop" });
    expect(metadata.labels).toEqual({
      team: "payments",
      "app.kubernetes.io/name": "postgresql",
      "app.kubernetes.io/instance": "orders",
      "app.kubernetes.io/component": "postgres",
      "app.kubernetes.io/part-of": "herald",
      "app.kubernetes.io/managed-by": "herald-operator",
    });
  });

  it("is owned by the MessageBroker, as its controller, blocking its deletion", () => {
    expect(childMetadata(broker, { name: "x", component: "broker" }).ownerReferences).toEqual([
      {
        apiVersion: "herald.dev/v1alpha1",
        kind: "MessageBroker",
        name: "orders",
        uid: broker.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(ownerReference(broker).uid).toBe("3f2a9c1e-0000-4000-8000-000000000001");
  });

  it("omits empty annotations", () => {
    expect(
      childMetadata(broker, { name: "x", component: "broker", annotations: {} }),
    ).not.toHaveProperty("annotations");
  });

  it("selects each component's pods apart from the others'", () => {
    expect(selectorLabels(broker, "broker")).not.toEqual(selectorLabels(broker, "postgres"));
    expect(selectorLabels(broker, "broker")).toEqual({
      "app.kubernetes.io/name": "herald-broker",
      "app.kubernetes.io/instance": "orders",
    });
  });
});

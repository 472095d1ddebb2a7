import { describe, expect, it } from "vitest";
import { renderStorageNetworkPolicy } from "./storage-network-policy.ts";
import { brokerFixture } from "../test/fixtures.ts";

const brokers = {
  podSelector: {
    matchLabels: {
      "app.kubernetes.io/name": "herald-broker",
      "app.kubernetes.io/instance": "orders",
    },
  },
};

describe("renderStorageNetworkPolicy", () => {
  it("admits only the brokers to PostgreSQL", () => {
    const policy = renderStorageNetworkPolicy(brokerFixture(), "postgres");
    expect(policy.metadata?.name).toBe("orders-storage");
    expect(policy.spec?.podSelector?.matchLabels).toMatchObject({
      "app.kubernetes.io/name": "postgresql",
    });
    expect(policy.spec?.ingress).toEqual([
      { _from: [brokers], ports: [{ protocol: "TCP", port: "postgres" }] },
    ]);
  });

  it("admits the brokers to CQL and the ring to itself", () => {
    const ingress = renderStorageNetworkPolicy(brokerFixture(), "cassandra").spec?.ingress ?? [];
    expect(ingress[0]).toEqual({ _from: [brokers], ports: [{ protocol: "TCP", port: "cql" }] });
    expect(ingress[1]?.ports?.map((p) => p.port)).toEqual(["cql", "intra-node"]);
  });
});

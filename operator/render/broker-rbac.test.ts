import { describe, expect, it } from "vitest";
import { renderRoleBinding } from "./role-binding.ts";
import { renderRole } from "./role.ts";
import { renderServiceAccount } from "./service-account.ts";
import { brokerFixture } from "../test/fixtures.ts";

describe("broker RBAC", () => {
  const broker = brokerFixture();

  it("gives the brokers their own ServiceAccount", () => {
    expect(renderServiceAccount(broker).metadata).toMatchObject({
      name: "orders-broker",
      namespace: "shop",
    });
  });

  it("lets them read their membership ConfigMap and nothing else", () => {
    expect(renderRole(broker).rules).toEqual([
      {
        apiGroups: [""],
        resources: ["configmaps"],
        resourceNames: ["orders-membership"],
        verbs: ["get", "list", "watch"],
      },
    ]);
  });

  it("binds that Role to that ServiceAccount", () => {
    const binding = renderRoleBinding(broker);
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "orders-broker",
    });
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: "orders-broker", namespace: "shop" },
    ]);
  });
});

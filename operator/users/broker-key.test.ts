import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { brokerKeyOfUser } from "./broker-key.ts";

describe("brokerKeyOfUser", () => {
  it("is the key of the user's broker in the user's namespace", () => {
    const user: KubernetesObject & { spec: object } = {
      metadata: { name: "alice", namespace: "shop" },
      spec: { broker: "orders" },
    };
    expect(brokerKeyOfUser(user)).toBe("shop/orders");
  });

  it("is nothing for an object without a broker", () => {
    expect(brokerKeyOfUser({ metadata: { name: "x", namespace: "shop" } })).toBeUndefined();
  });
});

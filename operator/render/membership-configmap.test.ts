import { describe, expect, it } from "vitest";
import { membershipConfigMapKey, membershipSchema } from "../../contract/membership.ts";
import { renderMembershipConfigMap } from "./membership-configmap.ts";
import { brokerFixture } from "../test/fixtures.ts";

describe("renderMembershipConfigMap", () => {
  const membership = {
    epoch: 7,
    members: [
      { name: "orders-0", address: "10.1.0.5:50051" },
      { name: "orders-1", address: "10.1.0.6:50051" },
    ],
  };

  it("publishes the membership as JSON the brokers parse with the shared schema", () => {
    const configMap = renderMembershipConfigMap(brokerFixture(), membership);
    expect(configMap.metadata?.name).toBe("orders-membership");
    const text = configMap.data?.[membershipConfigMapKey] ?? "";
    expect(membershipSchema.parse(JSON.parse(text))).toEqual(membership);
  });

  it("writes only the contract's fields", () => {
    const withExtra = { ...membership, note: "not part of the contract" };
    const text =
      renderMembershipConfigMap(brokerFixture(), withExtra).data?.[membershipConfigMapKey] ?? "";
    expect(Object.keys(JSON.parse(text) as object)).toEqual(["epoch", "members"]);
  });
});

import { describe, expect, it } from "vitest";
import { brokerFixture } from "../test/fixtures.ts";
import { membershipFor } from "./membership.ts";

const host = (ordinal: number) => `orders-${ordinal}.orders-headless.shop.svc.cluster.local`;

describe("membershipFor", () => {
  it("names where clients reach each member and, apart, where members call it", () => {
    const membership = membershipFor(brokerFixture(), 2, undefined, "cluster.local");
    expect(membership).toEqual({
      epoch: 1,
      members: [0, 1].map((ordinal) => ({
        name: `orders-${ordinal}`,
        address: `${host(ordinal)}:50051`,
        clusterAddress: `${host(ordinal)}:50052`,
      })),
    });
  });

  it("sends clients through Envoy when rate limiting is on, so routing clients keep the limit", () => {
    const broker = brokerFixture({ rateLimit: { enabled: true } });
    const [member] = membershipFor(broker, 1, undefined, "cluster.local").members;
    expect(member).toEqual({
      name: "orders-0",
      address: `${host(0)}:50061`,
      clusterAddress: `${host(0)}:50052`,
    });
  });

  it("keeps the epoch while the members are unchanged, and moves past it when they change", () => {
    const broker = brokerFixture();
    const published = membershipFor(broker, 2, undefined, "cluster.local");
    expect(membershipFor(broker, 2, published, "cluster.local")).toBe(published);
    expect(membershipFor(broker, 3, published, "cluster.local").epoch).toBe(2);
    // A membership published before members had cluster addresses is a change.
    const earlier = {
      epoch: 4,
      members: published.members.map(({ name, address }) => ({ name, address })),
    };
    expect(membershipFor(broker, 2, earlier, "cluster.local").epoch).toBe(5);
  });
});

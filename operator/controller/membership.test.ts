import { describe, expect, it } from "vitest";
import { brokerFixture } from "../test/fixtures.ts";
import { memberPod } from "../../contract/ports.ts";
import { listsWorkers, membershipFor, membershipPods } from "./membership.ts";

const host = (ordinal: number) => `orders-${ordinal}.orders-headless.shop.svc.cluster.local`;
const noPods = new Map<string, number>();
const postgres = { storage: { type: "postgres", postgres: { managed: {} } } } as const;

describe("membershipFor", () => {
  it("names where clients reach each member and, apart, where members call it", () => {
    const membership = membershipFor(brokerFixture(), 2, undefined, "cluster.local", noPods);
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
    const [member] = membershipFor(broker, 1, undefined, "cluster.local", noPods).members;
    expect(member).toEqual({
      name: "orders-0",
      address: `${host(0)}:50061`,
      clusterAddress: `${host(0)}:50052`,
    });
  });

  it("keeps the epoch while the members are unchanged, and moves past it when they change", () => {
    const broker = brokerFixture();
    const published = membershipFor(broker, 2, undefined, "cluster.local", noPods);
    expect(membershipFor(broker, 2, published, "cluster.local", noPods)).toBe(published);
    expect(membershipFor(broker, 3, published, "cluster.local", noPods).epoch).toBe(2);
    // A membership published before members had cluster addresses is a change.
    const earlier = {
      epoch: 4,
      members: published.members.map(({ name, address }) => ({ name, address })),
    };
    expect(membershipFor(broker, 2, earlier, "cluster.local", noPods).epoch).toBe(5);
  });

  it("lists each worker of a pod as a member on its own ports", () => {
    const broker = brokerFixture({ ...postgres, workers: 2 });
    const { members } = membershipFor(broker, 1, undefined, "cluster.local", noPods);
    expect(members).toEqual([
      { name: "orders-0~0", address: `${host(0)}:50100`, clusterAddress: `${host(0)}:50200` },
      { name: "orders-0~1", address: `${host(0)}:50101`, clusterAddress: `${host(0)}:50201` },
    ]);
  });

  it("sends clients of every worker through Envoy when rate limiting is on", () => {
    const broker = brokerFixture({ ...postgres, workers: 2, rateLimit: { enabled: true } });
    const { members } = membershipFor(broker, 1, undefined, "cluster.local", noPods);
    expect(members.map((member) => [member.address, member.clusterAddress])).toEqual([
      [`${host(0)}:50061`, `${host(0)}:50200`],
      [`${host(0)}:50061`, `${host(0)}:50201`],
    ]);
  });

  it("takes a live pod's own count, and the spec's for a pod that does not exist", () => {
    const broker = brokerFixture({ ...postgres, workers: 3 });
    // orders-0 still runs one worker, orders-1 was replaced with 3, orders-2 is being created.
    const live = new Map([
      ["orders-0", 1],
      ["orders-1", 3],
    ]);
    const membership = membershipFor(broker, 3, undefined, "cluster.local", live);
    expect(membership.members.map((member) => member.name)).toEqual([
      "orders-0",
      "orders-1~0",
      "orders-1~1",
      "orders-1~2",
      "orders-2~0",
      "orders-2~1",
      "orders-2~2",
    ]);
    expect(membership.members[0]).toEqual({
      name: "orders-0",
      address: `${host(0)}:50051`,
      clusterAddress: `${host(0)}:50052`,
    });
    // A pod replaced with another count changes the members, so the epoch.
    const replaced = new Map([...live, ["orders-0", 3]]);
    expect(membershipFor(broker, 3, membership, "cluster.local", replaced).epoch).toBe(2);
  });
});

describe("the pods of a membership", () => {
  const membership = membershipFor(
    brokerFixture({ ...postgres, workers: 2 }),
    2,
    undefined,
    "cluster.local",
    new Map([["orders-0", 1]]),
  );

  it("are each listed once, in order", () => {
    expect(membershipPods(membership)).toEqual(["orders-0", "orders-1"]);
  });

  it("are named by their members", () => {
    expect(memberPod("orders-1~12")).toBe("orders-1");
    expect(memberPod("orders-1")).toBe("orders-1");
  });

  it("tell whether any pod runs several workers", () => {
    expect(listsWorkers(membership)).toBe(true);
    const single = membershipFor(brokerFixture(), 2, undefined, "cluster.local", noPods);
    expect(listsWorkers(single)).toBe(false);
  });
});

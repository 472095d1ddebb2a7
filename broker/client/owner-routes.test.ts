import { Metadata, status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import type { Membership } from "../../contract/membership.ts";
import type { BrokerClient, ClusterMembersResponse } from "../api/gen/broker.ts";
import { epochMetadataKey } from "../cluster/cluster-members.ts";
import { rendezvousOwner } from "../cluster/hrw.ts";
import { serviceError } from "./stream-publisher.ts";
import { OwnerRoutes } from "./owner-routes.ts";

type Answer = Membership | "unavailable";

/** A channel whose ClusterMembers answers what the test set, and counts the asks. */
function fakeChannel(name: string, answer: { current: Answer }) {
  const channel = {
    name,
    asked: 0,
    closed: false,
    clusterMembers: (
      _request: object,
      _metadata: Metadata,
      _options: object,
      callback: (err: Error | null, response: ClusterMembersResponse) => void,
    ) => {
      channel.asked += 1;
      const current = answer.current;
      if (current === "unavailable")
        callback(serviceError(status.UNAVAILABLE, "gone"), { epoch: 0, members: [], self: "" });
      else callback(null, { ...current, self: name });
    },
    close: () => (channel.closed = true),
  };
  return channel;
}
type FakeChannel = ReturnType<typeof fakeChannel>;

const members = ["m0", "m1", "m2"].map((name) => ({ name, address: `${name}:50051` }));
const routes: OwnerRoutes[] = [];
afterEach(() => routes.splice(0).forEach((route) => route.close()));

/** Routes whose seed and members answer `answers[address]` (the seed: "seed"). */
function setup(answers: Record<string, { current: Answer }>) {
  const channels = new Map<string, FakeChannel>();
  const channelOf = (address: string) => {
    let channel = channels.get(address);
    if (channel === undefined) {
      channel = fakeChannel(address, answers[address] ?? { current: "unavailable" });
      channels.set(address, channel);
    }
    return channel;
  };
  const seed = channelOf("seed");
  const route = new OwnerRoutes({
    seed: seed as unknown as BrokerClient,
    connect: (address) => channelOf(address) as unknown as BrokerClient,
    metadata: () => new Metadata(),
    callTimeoutMs: 1000,
    refreshIntervalMs: 3_600_000,
    minRefreshGapMs: 0,
  });
  routes.push(route);
  return { route, seed, channelOf };
}

const epochAnswer = (epoch: number) => {
  const metadata = new Metadata();
  metadata.set(epochMetadataKey, String(epoch));
  return metadata;
};

describe("OwnerRoutes", () => {
  it("sends each subject's calls to its rendezvous owner once the seed answered, and to the seed before", async () => {
    const { route, seed, channelOf } = setup({ seed: { current: { epoch: 4, members } } });
    expect(route.channelFor("orders")).toBe(seed);
    await route.settled();
    expect(route.epoch).toBe(4);
    for (const subject of ["orders", "billing", "audit.eu", "a"]) {
      const owner = rendezvousOwner(subject, members)?.address ?? "";
      expect(route.channelFor(subject)).toBe(channelOf(owner));
    }
    expect(route.channelForAll(["orders", "orders"])).toBe(route.channelFor("orders"));
  });

  it("asks again when an answer names a newer epoch, past a seed that is behind", async () => {
    const seedAnswer = { current: { epoch: 1, members } as Answer };
    const m1Answer = { current: { epoch: 1, members } as Answer };
    const { route, seed, channelOf } = setup({ seed: seedAnswer, "m1:50051": m1Answer });
    await route.settled();
    const asked = seed.asked;
    route.observe(epochAnswer(1));
    expect(seed.asked).toBe(asked);

    const two = members.slice(0, 2);
    m1Answer.current = { epoch: 2, members: two };
    route.observe(epochAnswer(2));
    await route.settled();
    expect(route.epoch).toBe(2);
    expect(channelOf("m1:50051").asked).toBe(1);
    const moved = ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"].find(
      (subject) => rendezvousOwner(subject, members)?.name === "m2",
    );
    const newOwner = rendezvousOwner(moved ?? "", two)?.address ?? "";
    expect(route.channelFor(moved ?? "")).toBe(channelOf(newOwner));
  });

  it("lets the seed stand in for a member whose call failed UNAVAILABLE, and not for other failures", async () => {
    const { route, seed } = setup({ seed: { current: { epoch: 1, members } } });
    await route.settled();
    const owned = route.channelFor("orders");
    await route.failed(owned, serviceError(status.PERMISSION_DENIED, "no"));
    expect(route.channelFor("orders")).toBe(owned);
    await route.failed(owned, serviceError(status.UNAVAILABLE, "gone"));
    expect(route.channelFor("orders")).toBe(seed);
  });

  it("stays on the seed while no member answers", async () => {
    const { route, seed } = setup({ seed: { current: "unavailable" } });
    await route.settled();
    expect(route.epoch).toBe(-1);
    expect(route.channelFor("orders")).toBe(seed);
  });
});

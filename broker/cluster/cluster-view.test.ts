import { describe, expect, it } from "vitest";
import { ClusterView, route } from "./cluster-view.ts";
import { rendezvousOwner } from "./hrw.ts";

const members = ["a", "b", "c"].map((name) => ({ name, address: `${name}:50051` }));
/** A subject owned by `name` among `members`. */
const ownedBy = (name: string) => {
  for (let index = 0; ; index++) {
    if (rendezvousOwner(`s${index}`, members)?.name === name) return `s${index}`;
  }
};

describe("route", () => {
  it("refuses every call before a membership is adopted, and with no members", () => {
    const view = new ClusterView("a");
    expect(route(view, "s", false).kind).toBe("unavailable");
    view.adopt({ epoch: 1, members: [] });
    expect(route(view, "s", false).kind).toBe("unavailable");
  });

  it("serves owned subjects locally and forwards the others to their owner", () => {
    const view = new ClusterView("a");
    view.adopt({ epoch: 1, members });
    expect(route(view, ownedBy("a"), false)).toEqual({ kind: "local" });
    expect(route(view, ownedBy("b"), false)).toEqual({ kind: "forward", owner: members[1] });
  });

  it("never forwards a forwarded call again", () => {
    const view = new ClusterView("a");
    view.adopt({ epoch: 1, members });
    expect(route(view, ownedBy("b"), true)).toEqual({ kind: "not-owner" });
    expect(route(view, ownedBy("a"), true)).toEqual({ kind: "local" });
  });

  it("forwards everything from a member that is not in the membership", () => {
    const view = new ClusterView("leaving");
    view.adopt({ epoch: 1, members });
    for (const name of ["a", "b", "c"])
      expect(route(view, ownedBy(name), false).kind).toBe("forward");
  });
});

describe("ClusterView", () => {
  it("adopts only newer epochs, keeps the previous membership and tells listeners", () => {
    const view = new ClusterView("a");
    const seen: number[] = [];
    view.onEpoch((current, previous) => seen.push(current.epoch, previous?.epoch ?? -1));
    expect(view.adopt({ epoch: 2, members })).toBe(true);
    expect(view.adopt({ epoch: 2, members: [] })).toBe(false);
    expect(view.adopt({ epoch: 1, members: [] })).toBe(false);
    expect(view.adopt({ epoch: 3, members: members.slice(0, 1) })).toBe(true);
    expect(seen).toEqual([2, -1, 3, 2]);
    expect(view.previous?.epoch).toBe(2);
    expect(view.snapshot()).toEqual({ epoch: 3, members: members.slice(0, 1), self: "a" });
  });

  it("waits for an epoch, or gives up after the timeout", async () => {
    const view = new ClusterView("a");
    view.adopt({ epoch: 1, members });
    const waiting = view.waitForEpoch(2, 5000);
    view.adopt({ epoch: 2, members });
    await expect(waiting).resolves.toBe(true);
    await expect(view.waitForEpoch(5, 20)).resolves.toBe(false);
  });

  it("answers each subject's owner in the adopted epoch, remembered only until the next", () => {
    const view = new ClusterView("a");
    view.adopt({ epoch: 1, members });
    const subjects = Array.from({ length: 50 }, (_, index) => `orders.${index}`);
    for (const subject of subjects) {
      expect(view.ownerOf(subject)).toBe(rendezvousOwner(subject, members));
      expect(view.ownerOf(subject)).toBe(rendezvousOwner(subject, members));
    }
    const two = members.slice(0, 2);
    // Another membership than the adopted one is computed, not taken from what was remembered.
    for (const subject of subjects)
      expect(view.ownerOf(subject, { epoch: 0, members: two })).toBe(rendezvousOwner(subject, two));
    view.adopt({ epoch: 2, members: two });
    for (const subject of subjects)
      expect(view.ownerOf(subject)).toBe(rendezvousOwner(subject, two));
  });
});

import { describe, expect, it } from "vitest";
import { rendezvousOwner } from "./hrw.ts";

const members = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ name: `herald-${index}` }));
const subjects = Array.from({ length: 10_000 }, (_, index) => `subject.${index}`);

describe("rendezvousOwner", () => {
  it("is deterministic and independent of member order", () => {
    const forward = members(5);
    const backward = [...forward].reverse();
    for (const subject of subjects.slice(0, 500)) {
      expect(rendezvousOwner(subject, forward)?.name).toBe(
        rendezvousOwner(subject, backward)?.name,
      );
    }
    expect(rendezvousOwner("orders", forward)?.name).toBe(rendezvousOwner("orders", forward)?.name);
  });

  it("has no owner without members and one owner with one member", () => {
    expect(rendezvousOwner("orders", [])).toBeUndefined();
    expect(rendezvousOwner("orders", [{ name: "solo" }])?.name).toBe("solo");
  });

  it("spreads subjects evenly", () => {
    const counts = new Map<string, number>();
    for (const subject of subjects) {
      const owner = rendezvousOwner(subject, members(4))?.name ?? "";
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    expect(counts.size).toBe(4);
    for (const count of counts.values()) expect(Math.abs(count - 2500)).toBeLessThan(250);
  });

  it.each([1, 2, 3, 5, 9])(
    "moves about 1/(N+1) of subjects from %i to N+1 members, all to the new one",
    (n) => {
      const before = members(n);
      const after = members(n + 1);
      const added = after.at(-1)?.name;
      let moved = 0;
      for (const subject of subjects) {
        const from = rendezvousOwner(subject, before)?.name;
        const to = rendezvousOwner(subject, after)?.name;
        if (from === to) continue;
        moved++;
        expect(to).toBe(added);
      }
      const expected = subjects.length / (n + 1);
      expect(Math.abs(moved - expected)).toBeLessThan(expected * 0.1);
    },
  );

  it("moves only the removed member's subjects when one leaves", () => {
    const before = members(4);
    const after = before.filter((member) => member.name !== "herald-2");
    for (const subject of subjects.slice(0, 2000)) {
      const from = rendezvousOwner(subject, before)?.name;
      if (from !== "herald-2") expect(rendezvousOwner(subject, after)?.name).toBe(from);
    }
  });
});

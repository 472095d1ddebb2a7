import { describe, expect, it } from "vitest";
import type { GroupInfo } from "../api/gen/broker.ts";
import { mergeGroupLists } from "./list-groups.ts";

const info = (group: string, subjects: [string, number][]): GroupInfo => ({
  group,
  subject: "orders.*",
  ackWaitMs: 30_000,
  maxDeliveries: 5,
  startId: 0,
  subjects: subjects.map(([subject, lag]) => ({ subject, pending: lag, ackPending: 0, lag })),
});

describe("mergeGroupLists", () => {
  it("joins each group's subjects from every member, by name and subject", () => {
    const merged = mergeGroupLists([
      { groups: [info("b", [["orders.us", 2]]), info("a", [["orders.eu", 1]])] },
      { groups: [info("a", [["orders.asia", 3]])] },
      { groups: [] },
    ]);
    expect(merged.groups.map((group) => group.group)).toEqual(["a", "b"]);
    expect(merged.groups[0]?.subjects.map((subject) => subject.subject)).toEqual([
      "orders.asia",
      "orders.eu",
    ]);
  });

  it("keeps the larger lag of a subject two members report around an ownership move", () => {
    const merged = mergeGroupLists([
      { groups: [info("a", [["orders.eu", 4]])] },
      { groups: [info("a", [["orders.eu", 7]])] },
    ]);
    expect(merged.groups[0]?.subjects).toEqual([
      { subject: "orders.eu", pending: 7, ackPending: 0, lag: 7 },
    ]);
  });
});

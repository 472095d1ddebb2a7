import { describe, expect, it } from "vitest";
import type { MessageRecord } from "../store/message-store.ts";
import { SubjectActivity } from "./subject-activity.ts";

const records = (subject: string, ids: number[]): MessageRecord[] =>
  ids.map((id) => ({ subject, id, body: Buffer.from("x"), expiresAtMs: null }));
const all = () => true;
const at = (second: number) => second * 1000;

describe("SubjectActivity", () => {
  it("keeps each subject's last id and its count per second over the last minute", () => {
    const activity = new SubjectActivity();
    activity.record(records("orders", [1, 2, 3]), at(1000));
    activity.record(records("orders", [4]), at(1005));
    activity.record(records("audit", [7]), at(1005));
    const [audit, orders] = activity.snapshot(all, at(1006));
    expect(audit).toMatchObject({ subject: "audit", lastId: 7 });
    expect(orders?.lastId).toBe(4);
    // Oldest first, the current second last: 1000 is 6 s before 1006, 1005 is 1 s before.
    expect(orders?.perSecond.slice(-7)).toEqual([3, 0, 0, 0, 0, 1, 0]);
    // The mean over the 10 whole seconds before the current one.
    expect(orders?.ratePerSecond).toBe(0.4);
  });

  it("forgets counts older than the window, also after a long silence", () => {
    const activity = new SubjectActivity();
    activity.record(records("orders", [1, 2]), at(2000));
    activity.record(records("orders", [3]), at(2059));
    expect(activity.snapshot(all, at(2059))[0]?.perSecond).toEqual([
      2,
      ...Array<number>(58).fill(0),
      1,
    ]);
    expect(activity.snapshot(all, at(2060))[0]?.perSecond).toEqual([
      ...Array<number>(58).fill(0),
      1,
      0,
    ]);
    expect(activity.snapshot(all, at(5000))[0]).toMatchObject({
      lastId: 3,
      ratePerSecond: 0,
      perSecond: Array(60).fill(0),
    });
  });

  it("lists only what the filter lets through, and forgets the least recently published subject past its bound", () => {
    const activity = new SubjectActivity(2);
    activity.record(records("a", [1]), at(1));
    activity.record(records("b", [1]), at(2));
    activity.record(records("a", [2]), at(3));
    activity.record(records("c", [1]), at(4));
    expect(activity.snapshot(all, at(5)).map(({ subject }) => subject)).toEqual(["a", "c"]);
    expect(
      activity.snapshot((subject) => subject !== "a", at(5)).map(({ subject }) => subject),
    ).toEqual(["c"]);
  });
});

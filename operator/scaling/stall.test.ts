import { describe, expect, test } from "vitest";
import type { PlannedScaling } from "./plan.ts";
import {
  duration,
  epochWait,
  msUntilStalled,
  readyWait,
  stallCheckDelayMs,
  stallMessage,
  stalledRecheckMs,
  terminationWait,
} from "./stall.ts";

const scaling: PlannedScaling = {
  from: 3,
  to: 2,
  step: "AwaitingEpoch",
  stepStartedAt: "2026-01-01T00:00:00Z",
};
const fiveMinutes = 300_000;
const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString();

describe("the stall decision", () => {
  test("a step is not stalled before the threshold and is from it on", () => {
    expect(msUntilStalled(scaling, at(0), fiveMinutes)).toBe(fiveMinutes);
    expect(msUntilStalled(scaling, at(299), fiveMinutes)).toBe(1000);
    expect(msUntilStalled(scaling, at(300), fiveMinutes)).toBe(0);
    expect(msUntilStalled(scaling, at(3600), fiveMinutes)).toBe(0);
  });

  test("the step is looked at again when it would stall, then every recheck interval", () => {
    expect(stallCheckDelayMs(scaling, at(60), fiveMinutes)).toBe(240_000);
    expect(stallCheckDelayMs(scaling, at(300), fiveMinutes)).toBe(stalledRecheckMs);
  });
});

describe("what a step waits for", () => {
  const members = ["orders-0", "orders-1"];

  test("remaining brokers that are unreachable or behind the epoch", () => {
    expect(epochWait(members, [7, undefined], 7)).toEqual({
      pods: [{ name: "orders-1", detail: "unreachable" }],
      until: "report membership epoch 7",
    });
    expect(epochWait(members, [6, 8], 7).pods).toEqual([
      { name: "orders-0", detail: "at epoch 6" },
    ]);
    expect(epochWait(members, [7, 7], 7).pods).toEqual([]);
  });

  test("every member, without detail, while the epochs have not been read", () => {
    expect(epochWait(members, undefined, 7).pods).toEqual([
      { name: "orders-0", detail: undefined },
      { name: "orders-1", detail: undefined },
    ]);
  });

  test("new pods that are not Ready, and pods still to terminate", () => {
    expect(
      readyWait(["orders-0", "orders-1", "orders-2"], [undefined, undefined, "Pending"]),
    ).toEqual({
      pods: [{ name: "orders-2", detail: "Pending" }],
      until: "become Ready",
    });
    expect(terminationWait(["orders-2"])).toEqual({
      pods: [{ name: "orders-2", detail: undefined }],
      until: "terminate",
    });
  });
});

describe("stallMessage", () => {
  test("names the scale, the threshold, the start and each pod with why it lags", () => {
    expect(
      stallMessage(scaling, epochWait(["orders-0", "orders-1"], [7, undefined], 7), fiveMinutes),
    ).toBe(
      "Scale 3→2 has waited over 5m (since 2026-01-01T00:00:00Z) for orders-1 (unreachable) to report membership epoch 7.",
    );
    const up = { ...scaling, from: 1, to: 3, step: "AddingPods" as const };
    expect(
      stallMessage(
        up,
        readyWait(["orders-1", "orders-2"], ["CrashLoopBackOff", "not created"]),
        90_000,
      ),
    ).toBe(
      "Scale 1→3 has waited over 1m30s (since 2026-01-01T00:00:00Z) for orders-1 (CrashLoopBackOff) and orders-2 (not created) to become Ready.",
    );
  });

  test("a large scale lists the first pods and counts the rest", () => {
    const names = Array.from({ length: 8 }, (_, ordinal) => `orders-${ordinal}`);
    const message = stallMessage(scaling, terminationWait(names), fiveMinutes);
    expect(message).toContain(
      "for orders-0, orders-1, orders-2, orders-3, orders-4 and 3 more to terminate.",
    );
  });

  test("without a pod to name it says the broker pods", () => {
    expect(stallMessage(scaling, epochWait([], [], 7), fiveMinutes)).toContain(
      "for the broker pods to report membership epoch 7.",
    );
  });
});

test("duration", () => {
  expect([1000, 90_000, 300_000, 3_600_000, 3_661_000, 0].map(duration)).toEqual([
    "1s",
    "1m30s",
    "5m",
    "1h",
    "1h1m1s",
    "0s",
  ]);
});

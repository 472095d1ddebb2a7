import { describe, expect, test } from "vitest";
import type { MessageBrokerStatus } from "../api/v1alpha1/index.ts";
import { withScaling } from "./status.ts";

const base: MessageBrokerStatus = {
  phase: "Running",
  conditions: [
    {
      type: "Ready",
      status: "True",
      reason: "Ready",
      message: "",
      lastTransitionTime: "2026-01-01T00:00:00Z",
    },
  ],
};
const scaling = { from: 3, to: 2, step: "AwaitingEpoch" as const, targetEpoch: 3 };

describe("withScaling", () => {
  test("no scale and never one: no record and no condition", () => {
    expect(withScaling({ ...base, scaling }, undefined, 1, "t1")).toEqual(base);
  });

  test("a scale records the step and a True Scaling condition saying from, to and the epoch", () => {
    const status = withScaling(base, scaling, 4, "t1");
    expect(status.scaling).toEqual(scaling);
    expect(status.conditions?.at(-1)).toEqual({
      type: "Scaling",
      status: "True",
      reason: "AwaitingEpoch",
      message: "Scaling from 3 to 2 broker pods: AwaitingEpoch (membership epoch 3).",
      observedGeneration: 4,
      lastTransitionTime: "t1",
    });
  });

  test("a finished scale keeps the condition, False, and drops the record", () => {
    const during = withScaling(base, scaling, 4, "t1");
    const next = withScaling(during, { ...scaling, step: "RemovingPods" }, 4, "t2");
    expect(next.conditions?.find((c) => c.type === "Scaling")?.lastTransitionTime).toBe("t1");
    const after = withScaling(next, undefined, 4, "t3");
    expect(after.scaling).toBeUndefined();
    expect(after.conditions?.filter((c) => c.type === "Scaling")).toEqual([
      expect.objectContaining({ status: "False", reason: "Idle", lastTransitionTime: "t3" }),
    ]);
  });
});

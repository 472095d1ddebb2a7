import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, test } from "vitest";
import { notReadyReason } from "./pod-readiness.ts";

const condition = (type: string, status: string, reason?: string) => ({
  type,
  status,
  ...(reason === undefined ? {} : { reason }),
});

describe("notReadyReason", () => {
  test("a Ready pod waits for nothing", () => {
    const pod: V1Pod = { status: { phase: "Running", conditions: [condition("Ready", "True")] } };
    expect(notReadyReason(pod)).toBeUndefined();
  });

  test("the most telling reason first", () => {
    const cases: [V1Pod | undefined, string][] = [
      [undefined, "not created"],
      [{ metadata: { deletionTimestamp: new Date() } }, "terminating"],
      [
        {
          status: {
            phase: "Pending",
            conditions: [condition("PodScheduled", "False", "Unschedulable")],
          },
        },
        "Unschedulable",
      ],
      [
        {
          status: {
            phase: "Running",
            conditions: [condition("Ready", "False", "ContainersNotReady")],
            containerStatuses: [
              {
                name: "broker",
                image: "herald-broker",
                imageID: "",
                ready: false,
                restartCount: 7,
                state: { waiting: { reason: "CrashLoopBackOff" } },
              },
            ],
          },
        },
        "CrashLoopBackOff",
      ],
      [
        { status: { phase: "Running", conditions: [condition("Ready", "False")] } },
        "Running, not ready",
      ],
      [{}, "Pending, not ready"],
    ];
    for (const [pod, reason] of cases) expect(notReadyReason(pod)).toBe(reason);
  });
});

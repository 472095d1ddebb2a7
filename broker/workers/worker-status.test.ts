import { describe, expect, it } from "vitest";
import { podClusterSnapshot, podNotReadyReason, type WorkerStatus } from "./worker-status.ts";

const status = (index: number, epoch: number, notReadyReason?: string): WorkerStatus => ({
  kind: "herald-worker-status",
  index,
  ...(notReadyReason === undefined ? {} : { notReadyReason }),
  cluster: { epoch, self: `pod~${index}`, members: [{ name: `pod~${index}`, address: "a:1" }] },
});

describe("the pod's readiness", () => {
  it("is ready only when every worker has reported ready", () => {
    expect(podNotReadyReason([status(0, 1), status(1, 1)])).toBeUndefined();
    expect(podNotReadyReason([status(0, 1), undefined])).toBe("worker 1 is starting");
    expect(podNotReadyReason([status(0, 1, "draining"), status(1, 1)])).toBe("worker 0: draining");
  });
});

describe("the pod's /cluster", () => {
  it("answers the lowest epoch its workers adopted, so an epoch counts once all adopted it", () => {
    const snapshot = podClusterSnapshot("pod", [status(0, 3), status(1, 2)]);
    expect(snapshot.epoch).toBe(2);
    expect(snapshot.self).toBe("pod");
    expect(snapshot.members).toEqual(status(1, 2).cluster.members);
    expect(snapshot.workers).toEqual([status(0, 3).cluster, status(1, 2).cluster]);
  });

  it("answers epoch 0 while a worker has not reported", () => {
    expect(podClusterSnapshot("pod", [status(0, 3), undefined])).toMatchObject({
      epoch: 0,
      workers: [status(0, 3).cluster, null],
    });
  });
});

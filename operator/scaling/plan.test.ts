import { describe, expect, test } from "vitest";
import type { Workload } from "../status/workload.ts";
import { awaitsEpochs, planScaling, type ScalingInput } from "./plan.ts";

const pods = (desired: number, ready = desired, current = desired): Workload => ({
  desired,
  current,
  ready,
  rolledOut: current === desired && ready === desired,
});

const now = "2026-01-01T00:10:00Z";
const earlier = "2026-01-01T00:00:00Z";

const input = (overrides: Partial<ScalingInput>): ScalingInput => ({
  now,
  wanted: 1,
  scaling: undefined,
  published: { epoch: 1, members: 1 },
  statefulSet: pods(1),
  reportedEpochs: undefined,
  ...overrides,
});

describe("planScaling", () => {
  test("first creation publishes every initial pod at once", () => {
    const plan = planScaling(input({ wanted: 3, published: undefined, statefulSet: undefined }));
    expect(plan).toEqual({
      statefulSetReplicas: 3,
      members: 3,
      scaling: undefined,
      pollEpochs: false,
    });
  });

  test("a steady cluster plans nothing and reads no epochs", () => {
    const steady = input({ wanted: 3, published: { epoch: 4, members: 3 }, statefulSet: pods(3) });
    expect(awaitsEpochs(steady)).toBe(false);
    expect(planScaling(steady)).toEqual({
      statefulSetReplicas: 3,
      members: 3,
      scaling: undefined,
      pollEpochs: false,
    });
  });

  describe("scale up 1 → 3", () => {
    test("raises the StatefulSet first and keeps the membership", () => {
      const plan = planScaling(input({ wanted: 3 }));
      expect(plan).toMatchObject({ statefulSetReplicas: 3, members: 1 });
      expect(plan.scaling).toEqual({ from: 1, to: 3, step: "AddingPods", stepStartedAt: now });
    });

    test("waits while the new pods are not all ready", () => {
      const plan = planScaling(
        input({
          wanted: 3,
          scaling: { from: 1, to: 3, step: "AddingPods" },
          statefulSet: pods(3, 2),
        }),
      );
      expect(plan).toMatchObject({ statefulSetReplicas: 3, members: 1 });
      expect(plan.scaling?.step).toBe("AddingPods");
    });

    test("publishes the new pods once ready, then waits for the epoch", () => {
      const scaling = { from: 1, to: 3, step: "AddingPods" as const };
      const plan = planScaling(input({ wanted: 3, scaling, statefulSet: pods(3) }));
      expect(plan).toMatchObject({ statefulSetReplicas: 3, members: 3, pollEpochs: true });
      expect(plan.scaling).toEqual({ from: 1, to: 3, step: "AwaitingEpoch", stepStartedAt: now });

      const published = { epoch: 2, members: 3 };
      const awaiting = { from: 1, to: 3, step: "AwaitingEpoch" as const, targetEpoch: 2 };
      const lagging = input({
        wanted: 3,
        scaling: awaiting,
        published,
        statefulSet: pods(3),
        reportedEpochs: [2, 1, 2],
      });
      expect(awaitsEpochs(lagging)).toBe(true);
      expect(planScaling(lagging).scaling?.step).toBe("AwaitingEpoch");
      const done = planScaling({ ...lagging, reportedEpochs: [2, 2, 2] });
      expect(done).toEqual({
        statefulSetReplicas: 3,
        members: 3,
        scaling: undefined,
        pollEpochs: false,
      });
    });
  });

  describe("scale down 3 → 2", () => {
    test("publishes the membership without the leaving pod first", () => {
      const plan = planScaling(
        input({ wanted: 2, published: { epoch: 2, members: 3 }, statefulSet: pods(3) }),
      );
      expect(plan).toMatchObject({ statefulSetReplicas: 3, members: 2, pollEpochs: true });
      expect(plan.scaling).toEqual({ from: 3, to: 2, step: "AwaitingEpoch", stepStartedAt: now });
    });

    const awaiting = input({
      wanted: 2,
      scaling: { from: 3, to: 2, step: "AwaitingEpoch", targetEpoch: 3 },
      published: { epoch: 3, members: 2 },
      statefulSet: pods(3),
    });

    test("keeps the StatefulSet until every remaining broker reports the epoch", () => {
      for (const reportedEpochs of [undefined, [3, 2], [3, undefined], [3]]) {
        const plan = planScaling({ ...awaiting, reportedEpochs });
        expect(plan.statefulSetReplicas).toBe(3);
        expect(plan.scaling).toEqual({ from: 3, to: 2, step: "AwaitingEpoch", stepStartedAt: now });
      }
    });

    test("lowers the StatefulSet once they all do, then finishes when the pod is gone", () => {
      const lowering = planScaling({ ...awaiting, reportedEpochs: [3, 3] });
      expect(lowering).toMatchObject({ statefulSetReplicas: 2, members: 2 });
      expect(lowering.scaling).toEqual({
        from: 3,
        to: 2,
        step: "RemovingPods",
        stepStartedAt: now,
      });

      const removing = {
        ...awaiting,
        scaling: { from: 3, to: 2, step: "RemovingPods" as const, targetEpoch: 3 },
        reportedEpochs: [3, 3],
      };
      const terminating = planScaling({ ...removing, statefulSet: pods(2, 2, 3) });
      expect(terminating.scaling?.step).toBe("RemovingPods");
      expect(planScaling({ ...removing, statefulSet: pods(2) }).scaling).toBeUndefined();
    });

    test("resumes from the cluster alone: published but status not yet written", () => {
      const plan = planScaling({ ...awaiting, scaling: undefined, reportedEpochs: [3, 2] });
      expect(plan.statefulSetReplicas).toBe(3);
      expect(plan.scaling).toEqual({ from: 3, to: 2, step: "AwaitingEpoch", stepStartedAt: now });
    });
  });

  describe("reverting replicas mid-way", () => {
    test("a scale-down restored to 3 publishes everyone again", () => {
      const plan = planScaling(
        input({
          wanted: 3,
          scaling: { from: 3, to: 2, step: "AwaitingEpoch", targetEpoch: 3 },
          published: { epoch: 3, members: 2 },
          statefulSet: pods(3),
          reportedEpochs: [3, 2],
        }),
      );
      expect(plan).toMatchObject({ statefulSetReplicas: 3, members: 3 });
      expect(plan.scaling).toEqual({ from: 2, to: 3, step: "AwaitingEpoch", stepStartedAt: now });
    });

    test("a scale-up restored to 1 removes the pods that never became members", () => {
      const plan = planScaling(
        input({
          wanted: 1,
          scaling: { from: 1, to: 3, step: "AddingPods" },
          published: { epoch: 1, members: 1 },
          statefulSet: pods(3, 2),
          reportedEpochs: [1],
        }),
      );
      expect(plan).toMatchObject({ statefulSetReplicas: 1, members: 1 });
      expect(plan.scaling?.step).toBe("RemovingPods");
    });
  });

  describe("step start (stepStartedAt)", () => {
    const waiting = input({
      wanted: 2,
      scaling: { from: 3, to: 2, step: "AwaitingEpoch", targetEpoch: 3, stepStartedAt: earlier },
      published: { epoch: 3, members: 2 },
      statefulSet: pods(3),
      reportedEpochs: [3, undefined],
    });

    test("a step still waiting keeps the time it started", () => {
      expect(planScaling(waiting).scaling?.stepStartedAt).toBe(earlier);
    });

    test("the next step starts now", () => {
      const lowering = planScaling({ ...waiting, reportedEpochs: [3, 3] });
      expect(lowering.scaling).toMatchObject({ step: "RemovingPods", stepStartedAt: now });
    });

    test("a reverted scale is a new step that starts now", () => {
      const reverted = planScaling({ ...waiting, wanted: 3 });
      expect(reverted.scaling).toEqual({
        from: 2,
        to: 3,
        step: "AwaitingEpoch",
        stepStartedAt: now,
      });
    });
  });
});

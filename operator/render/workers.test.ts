import { describe, expect, it } from "vitest";
import { messageBrokerSpecSchema, type MessageBrokerSpecInput } from "../api/v1alpha1/index.ts";
import { desiredWorkers, runningWorkers, workersAnnotation } from "./workers.ts";

const workersOf = (spec: MessageBrokerSpecInput) =>
  desiredWorkers(messageBrokerSpecSchema.parse(spec));

describe("desiredWorkers", () => {
  it("is spec.workers when set", () => {
    expect(workersOf({ workers: 3 })).toBe(3);
    expect(workersOf({ workers: 1, resources: { limits: { cpu: 8 } } })).toBe(1);
  });

  it("is 1 without spec.workers, whatever the CPU limit", () => {
    expect(workersOf({})).toBe(1);
    expect(workersOf({ resources: { limits: { cpu: 4 } } })).toBe(1);
  });
});

describe("runningWorkers", () => {
  it("reads the pod's annotation", () => {
    expect(runningWorkers({ [workersAnnotation]: "4" })).toBe(4);
  });

  it("is 1 for a pod without it, or with a count no broker runs", () => {
    expect(runningWorkers(undefined)).toBe(1);
    expect(runningWorkers({})).toBe(1);
    for (const text of ["", "0", "65", "2.5", "two"]) {
      expect(runningWorkers({ [workersAnnotation]: text })).toBe(1);
    }
  });
});

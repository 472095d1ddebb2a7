import { describe, expect, it } from "vitest";
import { messageBrokerSpecSchema, type MessageBrokerSpecInput } from "../api/v1alpha1/index.ts";
import { desiredWorkers, runningWorkers, workersAnnotation } from "./workers.ts";

const workersOf = (spec: MessageBrokerSpecInput) =>
  desiredWorkers(messageBrokerSpecSchema.parse(spec));
const withCpuLimit = (cpu: string | number) => workersOf({ resources: { limits: { cpu } } });

describe("desiredWorkers", () => {
  it("is spec.workers when set, whatever the CPU limit", () => {
    expect(workersOf({ workers: 3 })).toBe(3);
    expect(workersOf({ workers: 1, resources: { limits: { cpu: 8 } } })).toBe(1);
  });

  it("is the CPU limit rounded up without spec.workers", () => {
    expect(withCpuLimit("500m")).toBe(1);
    expect(withCpuLimit("2")).toBe(2);
    expect(withCpuLimit(2)).toBe(2);
    expect(withCpuLimit("1.5")).toBe(2);
    expect(withCpuLimit("3000m")).toBe(3);
    expect(withCpuLimit("3001m")).toBe(4);
    expect(withCpuLimit("7000m")).toBe(7);
  });

  it("stops at 64 workers", () => {
    expect(withCpuLimit("200")).toBe(64);
    expect(withCpuLimit("1k")).toBe(64);
  });

  it("is 1 without a CPU limit, as by default", () => {
    expect(workersOf({})).toBe(1);
    expect(workersOf({ resources: { requests: { cpu: 4 } } })).toBe(1);
    expect(withCpuLimit("0")).toBe(1);
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

import { describe, expect, it } from "vitest";
import { ghzPoint } from "./ghz-point-fixture.ts";
import { workerMedians, workerRatios, workersTable } from "./workers-table.ts";

const point = (target: string, opsPerSec: number, serverCpuUsPerOp: number) =>
  ghzPoint(target, 64, opsPerSec, serverCpuUsPerOp);

const rounds = [
  point("memory, 1 worker", 5000, 200),
  point("memory, 2 workers", 6000, 260),
  point("memory, 1 worker", 4000, 220),
  point("memory, 2 workers", 7000, 240),
  point("memory, 1 worker", 4500, 210),
  { target: "memory, 2 workers", clients: 64, status: "failed: ghz exited" },
];

describe("the workers comparison", () => {
  it("takes each configuration's median over the rounds it completed", () => {
    expect(workerMedians(rounds)).toEqual([
      { target: "memory, 1 worker", rounds: 3, opsPerSec: 4500, serverCpuUsPerOp: 210 },
      { target: "memory, 2 workers", rounds: 2, opsPerSec: 6500, serverCpuUsPerOp: 250 },
    ]);
  });

  it("gives every configuration's rate and CPU per publish as a ratio to one worker", () => {
    const ratios: [string, number, number][] = [];
    workerRatios(rounds, (label, herald, other) => ratios.push([label, herald, other]));
    expect(ratios).toEqual([
      ["publish: memory, 2 workers ÷ memory, 1 worker (ghz, 64 subjects)", 6500, 4500],
      ["server CPU per publish: memory, 2 workers ÷ memory, 1 worker (lower is better)", 250, 210],
    ]);
  });

  it("says so when it did not run", () => {
    expect(workersTable(undefined)).toBe("workers: not run");
    expect(workersTable(rounds)).toContain("| memory, 2 workers | 2 | 6500 | 250.0 |");
  });
});

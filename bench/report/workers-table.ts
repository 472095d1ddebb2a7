/**
 * One pod on one and on two workers (bench/clients/workers.ts): the median over rounds of each
 * configuration's publish rate and server CPU per publish, and their ratios to one worker.
 */
import type { IndependentSection } from "./schema.ts";

type Attempt = IndependentSection["publish"][number];

const median = (values: readonly number[]): number => {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
};

/** Each target's median rate and server CPU per publish, in the order first measured. */
export function workerMedians(attempts: readonly Attempt[]) {
  const targets = [...new Set(attempts.map((attempt) => attempt.target))];
  return targets.map((target) => {
    const points = attempts
      .filter((a) => a.target === target)
      .flatMap((a) => ("status" in a ? [] : [a]));
    return {
      target,
      rounds: points.length,
      opsPerSec: median(points.map((p) => p.opsPerSec)),
      serverCpuUsPerOp: median(points.flatMap((p) => p.serverCpuUsPerOp ?? [])),
    };
  });
}

export function workerRatios(
  attempts: readonly Attempt[],
  add: (label: string, herald: number, other: number) => void,
): void {
  const [one, ...more] = workerMedians(attempts);
  if (one === undefined) return;
  for (const other of more) {
    add(
      `publish: ${other.target} ÷ ${one.target} (ghz, 64 subjects)`,
      other.opsPerSec,
      one.opsPerSec,
    );
    add(
      `server CPU per publish: ${other.target} ÷ ${one.target} (lower is better)`,
      other.serverCpuUsPerOp,
      one.serverCpuUsPerOp,
    );
  }
}

export function workersTable(attempts: readonly Attempt[] | undefined): string {
  if (attempts === undefined || attempts.length === 0) return "workers: not run";
  const lines = [
    "| one pod, memory store, 64 subjects | rounds | publish/s (median) | server CPU µs/publish (median) |",
    "|---|---|---|---|",
    ...workerMedians(attempts).map(
      (m) =>
        `| ${m.target} | ${m.rounds} | ${m.opsPerSec.toFixed(0)} | ${m.serverCpuUsPerOp.toFixed(1)} |`,
    ),
  ];
  return lines.join("\n");
}

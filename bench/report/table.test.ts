import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { BenchResultSchema, type TargetResult } from "./schema.ts";
import { computeRatios, renderReport } from "./table.ts";

/** A committed full run, given pipelined peer columns whose rates are known. */
const result = BenchResultSchema.parse(
  JSON.parse(
    readFileSync(new URL("../results/2026-12-06-8d7e6f64ec73.json", import.meta.url), "utf8"),
  ),
);

const pipelined = (name: string, opsPerSec: number): TargetResult => {
  const peer = result.targets.find((t) => t.name === name.replace(" pipelined", ""));
  if (peer === undefined) throw new Error(`no ${name}`);
  return { ...peer, name, publish: peer.publish.map((point) => ({ ...point, opsPerSec })) };
};

test("compares each Herald stream with each peer's pipelined publish at the same window", () => {
  const withPipelined = {
    ...result,
    targets: [
      ...result.targets,
      pipelined("jetstream pipelined", 10_000),
      pipelined("rabbitmq pipelined", 5_000),
    ],
  };
  const ratios = computeRatios(withPipelined).filter((r) => r.label.includes("pipelined"));
  const stream = result.targets.find((t) => t.name === "postgres stream");
  const rate = stream?.publish.find((p) => p.clients === 64 && p.bodyBytes === 128)?.opsPerSec;
  expect(ratios.map((r) => r.label)).toContain(
    "postgres stream ÷ jetstream pipelined: publish, the same window (64 clients, 128 B; Node clients)",
  );
  const postgresJetStream = ratios.find((r) =>
    r.label.startsWith(
      "postgres stream ÷ jetstream pipelined: publish, the same window (64 clients, 128 B",
    ),
  );
  expect(postgresJetStream?.ratio).toBeCloseTo((rate ?? NaN) / 10_000);
  expect(ratios).toHaveLength(2 * 2 * 2);
  // A run without the pipelined peers yields none of these ratios.
  expect(computeRatios(result).some((r) => r.label.includes("pipelined"))).toBe(false);
});

test("renders the memory store's heap rows when the run measured them, and none otherwise", () => {
  const point = { bodyBytes: 128, subjects: 64, fullGcMs: 3.6, heapUsedMiB: 4.4, rssMiB: 279 };
  const report = renderReport({
    ...result,
    memoryStoreHeap: [{ ...point, messages: 1_000_000 }],
  });
  expect(report).toContain("| memory store holding (64 subjects) | full GC ms |");
  expect(report).toContain("| 1,000,000 messages × 128 B | 3.60 | 4.40 | 279 |");
  expect(renderReport(result)).not.toContain("memory store holding");
  expect(renderReport({ ...result, memoryStoreHeap: { status: "failed: exit 1" } })).toContain(
    "memory store heap: failed: exit 1",
  );
});

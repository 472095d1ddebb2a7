import { expect, test } from "vitest";
import { openRuntimeWindow } from "./runtime-window.ts";

const gc = (kind: string, buckets: Record<string, number>, sum: number) =>
  [
    ...Object.entries(buckets).map(
      ([le, n]) => `herald_gc_pause_seconds_bucket{le="${le}",kind="${kind}"} ${n}`,
    ),
    `herald_gc_pause_seconds_sum{kind="${kind}"} ${sum}`,
    `herald_gc_pause_seconds_count{kind="${kind}"} ${buckets["+Inf"] ?? 0}`,
  ].join("\n");

const before = [
  gc("minor", { "0.005": 10, "0.05": 10, "+Inf": 10 }, 0.02),
  gc("major", { "0.005": 0, "0.05": 1, "+Inf": 1 }, 0.03),
  "herald_gc_pause_max_seconds 0.03",
  "nodejs_eventloop_lag_p50_seconds 0.0101",
].join("\n");

const after = [
  "# HELP herald_gc_pause_seconds pauses",
  gc("minor", { "0.005": 108, "0.05": 110, "+Inf": 110 }, 0.32),
  gc("major", { "0.005": 0, "0.05": 2, "+Inf": 2 }, 0.07),
  "herald_gc_pause_max_seconds 0.04",
  "nodejs_eventloop_lag_p50_seconds 0.0102",
  "nodejs_eventloop_lag_p99_seconds 0.05",
  "nodejs_eventloop_lag_max_seconds 0.06",
  "nodejs_eventloop_lag_mean_seconds 0.0105",
].join("\n");

test("GC pauses over the window are the difference of two scrapes; event-loop delay leaves out the 10 ms timer", async () => {
  const texts = [before, after];
  const finish = await openRuntimeWindow(() => Promise.resolve(texts.shift() ?? ""));
  const window = await finish();
  expect(window?.gcPauses.count).toBe(101);
  expect(window?.gcPauses.totalMs).toBeCloseTo(340);
  expect(window?.gcPauses.maxMs).toBeCloseTo(40);
  // 99 of the 101 pauses took at most 5 ms, the 100th does not: the 99th percentile is ≤ 50 ms,
  // and no pause took longer than the longest.
  expect(window?.gcPauses.p99Ms).toBeCloseTo(40);
  expect(window?.eventLoopDelayMs.p50).toBeCloseTo(0.2);
  expect(window?.eventLoopDelayMs.p99).toBeCloseTo(40);
  expect(window?.eventLoopDelayMs.max).toBeCloseTo(50);
});

test("a broker without the GC metrics gives no window", async () => {
  const finish = await openRuntimeWindow(() => Promise.resolve(""));
  expect(await finish()).toBeUndefined();
});

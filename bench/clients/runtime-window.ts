/**
 * A Herald broker's garbage-collection pauses and event-loop delay over one measurement, from a
 * scrape of its /metrics just before and one just after (broker/README.md#performance):
 *
 * - GC pauses: `herald_gc_pause_seconds` (every pause, by kind) as the difference of the two
 *   scrapes; the longest exactly from `herald_gc_pause_max_seconds` (the longest since the
 *   previous scrape, which the first scrape resets); p99 as the upper bound of the bucket that
 *   holds it, at most the longest.
 * - Event-loop delay: prom-client's `nodejs_eventloop_lag_*_seconds`, which also cover the time
 *   since the previous scrape. They come from `monitorEventLoopDelay`, which records each
 *   interval of its 10 ms timer whole, so the 10 ms are taken off: what is left is the delay.
 */
import type { RuntimeWindow } from "../report/schema.ts";

/** prom-client's default `eventLoopMonitoringPrecision`, which the broker keeps. */
const eventLoopSamplingMs = 10;

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g))
      labels[pair[1] ?? ""] = pair[2] ?? "";
    samples.push({ name: match[1] ?? "", labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum over label sets of `name`, per value of `by` (one key "" when `by` is undefined). */
function sumBy(samples: readonly Sample[], name: string, by?: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const sample of samples) {
    if (sample.name !== name) continue;
    const key = by === undefined ? "" : (sample.labels[by] ?? "");
    sums.set(key, (sums.get(key) ?? 0) + sample.value);
  }
  return sums;
}

const single = (samples: readonly Sample[], name: string) =>
  samples.find((sample) => sample.name === name)?.value;

function gcPauses(before: readonly Sample[], after: readonly Sample[]): RuntimeWindow["gcPauses"] {
  const delta = (name: string, by?: string) => {
    const start = sumBy(before, name, by);
    return new Map([...sumBy(after, name, by)].map(([key, v]) => [key, v - (start.get(key) ?? 0)]));
  };
  const count = delta("herald_gc_pause_seconds_count").get("") ?? 0;
  const totalMs = (delta("herald_gc_pause_seconds_sum").get("") ?? 0) * 1000;
  const maxMs = (single(after, "herald_gc_pause_max_seconds") ?? 0) * 1000;
  // Cumulative counts per bucket bound, over every kind.
  const buckets = [...delta("herald_gc_pause_seconds_bucket", "le")]
    .map(([le, n]) => ({ boundMs: le === "+Inf" ? Infinity : Number(le) * 1000, n }))
    .sort((a, b) => a.boundMs - b.boundMs);
  const rank = Math.ceil(0.99 * count);
  const p99Bound = buckets.find((bucket) => bucket.n >= rank)?.boundMs ?? maxMs;
  return { count, totalMs, maxMs, p99Ms: count === 0 ? 0 : Math.min(p99Bound, maxMs) };
}

function eventLoopDelay(after: readonly Sample[]): RuntimeWindow["eventLoopDelayMs"] {
  const delay = (which: string) =>
    Math.max(
      0,
      (single(after, `nodejs_eventloop_lag_${which}_seconds`) ?? 0) * 1000 - eventLoopSamplingMs,
    );
  return { p50: delay("p50"), p99: delay("p99"), max: delay("max"), mean: delay("mean") };
}

/**
 * Scrapes now, and returns what measures the window when called after the measurement;
 * undefined when the broker's metrics cannot be read.
 */
export async function openRuntimeWindow(
  metrics: () => Promise<string>,
): Promise<() => Promise<RuntimeWindow | undefined>> {
  const before = parseSamples(await metrics());
  return async () => {
    const after = parseSamples(await metrics());
    if (single(after, "herald_gc_pause_max_seconds") === undefined) return undefined;
    return { gcPauses: gcPauses(before, after), eventLoopDelayMs: eventLoopDelay(after) };
  };
}

/** The figures a load test reports (load-run.ts): counts and publish→deliver latency percentiles. */

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The median, 99th percentile and maximum of `millis` (nearest rank), null when empty; pure. */
export function summarizeLatency(millis: ArrayLike<number>): LatencySummary | null {
  if (millis.length === 0) return null;
  const sorted = Float64Array.from(millis).sort();
  const rank = (quantile: number) =>
    round(sorted[Math.max(0, Math.ceil(quantile * sorted.length) - 1)] ?? 0);
  return { p50: rank(0.5), p99: rank(0.99), max: round(sorted[sorted.length - 1] ?? 0) };
}

const round = (millis: number) => Math.round(millis * 100) / 100;

/** One second of a run, as the console charts it. */
export interface LoadProgress {
  /** Seconds since the first publish, counting from 1. */
  readonly second: number;
  readonly published: number;
  readonly delivered: number;
  /** What the whole run has published and received so far. */
  readonly publishedTotal: number;
  readonly deliveredTotal: number;
  readonly latencyMs: LatencySummary | null;
}

/** The end of a run: totals, the mean rates over its duration and the latency of every message. */
export interface LoadSummary {
  readonly published: number;
  readonly delivered: number;
  readonly seconds: number;
  readonly publishedPerSecond: number;
  readonly deliveredPerSecond: number;
  readonly latencyMs: LatencySummary | null;
}

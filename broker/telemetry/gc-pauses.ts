/**
 * Garbage-collection pauses of the broker's thread, for the tail latency they cause
 * (broker/README.md#performance). prom-client's default `nodejs_gc_duration_seconds` reads
 * only the first entry of each observer callback and has buckets of 1 ms, 10 ms and 100 ms;
 * these count every entry, in buckets that tell a 5 ms pause from a 50 ms one, and keep the
 * longest pause since the previous scrape exactly (as prom-client's event-loop lag gauges
 * report the delay since the previous scrape).
 */
import { constants, PerformanceObserver } from "node:perf_hooks";
import { Gauge, type Registry } from "prom-client";
import { CountingHistogram } from "./counting-histogram.ts";

const kinds = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MINOR, "minor"],
  [constants.NODE_PERFORMANCE_GC_MAJOR, "major"],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, "incremental"],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, "weakcb"],
]);

const pauseBuckets = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1,
];

/** Starts observing; the observer lives as long as the process (one registry per broker). */
export function observeGcPauses(registry: Registry): void {
  const registers = [registry];
  const pauses = new CountingHistogram({
    name: "herald_gc_pause_seconds",
    help: "Garbage-collection pauses of the broker's JavaScript thread, by kind (minor, major, incremental, weakcb).",
    labelNames: ["kind"] as const,
    buckets: pauseBuckets,
    registers,
  });
  const byKind = new Map([...kinds].map(([code, kind]) => [code, pauses.child({ kind })]));
  let longest = 0;
  new Gauge({
    name: "herald_gc_pause_max_seconds",
    help: "The longest garbage-collection pause since the previous scrape.",
    registers,
    collect() {
      this.set(longest);
      longest = 0;
    },
  });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const seconds = entry.duration / 1000;
      const detail: unknown = "detail" in entry ? entry.detail : undefined;
      const kind =
        typeof detail === "object" && detail !== null && "kind" in detail ? detail.kind : 0;
      byKind.get(typeof kind === "number" ? kind : 0)?.(seconds);
      if (seconds > longest) longest = seconds;
    }
  }).observe({ entryTypes: ["gc"] });
}

/**
 * A Prometheus summary whose quantiles cover a sliding time window, like prom-client's
 * Summary with `maxAgeSeconds` and `ageBuckets`, but cheap to observe: prom-client pushes
 * every observation into one t-digest per age bucket (five here), which allocated and cost
 * more than anything else Herald does per publish. Here an observation is one increment of
 * a log-linear bucket (log-buckets.ts) in the current age slot, and quantiles (within about
 * 2%) are read only at scrape time. `_sum` and `_count` are cumulative, as prom-client's.
 */
import { type LabelValues, Summary, type SummaryConfiguration } from "prom-client";
import { LabelSeries, refuseLabelBoundApis } from "./label-series.ts";
import { logBuckets, quantileOf } from "./log-buckets.ts";

/** 1 µs to about 18 minutes in steps of 2^(1/16) (4.4%): call latencies, in seconds. */
const buckets = logBuckets(1e-6, 30, 16);

/** One label set's observations: counts per age slot, the oldest cleared as time passes. */
class Window {
  readonly #slots: Float64Array[];
  readonly #slotMs: number;
  #current = 0;
  #rotatesAtMs: number;
  count = 0;
  sum = 0;

  constructor(ageBuckets: number, slotMs: number) {
    this.#slots = Array.from({ length: ageBuckets }, () => new Float64Array(buckets.count));
    this.#slotMs = slotMs;
    this.#rotatesAtMs = performance.now() + slotMs;
  }

  observe(value: number): void {
    const now = performance.now();
    if (now >= this.#rotatesAtMs) this.#rotate(now);
    const slot = this.#slots[this.#current];
    if (slot !== undefined) {
      const index = buckets.indexOf(value);
      slot[index] = (slot[index] ?? 0) + 1;
    }
    this.count += 1;
    this.sum += value;
  }

  /** The quantiles of what the live slots hold. */
  quantiles(percentiles: readonly number[]): number[] {
    this.#rotate(performance.now());
    const merged = new Float64Array(buckets.count);
    let total = 0;
    for (const slot of this.#slots) {
      for (let index = 0; index < slot.length; index++) {
        const n = slot[index] ?? 0;
        merged[index] = (merged[index] ?? 0) + n;
        total += n;
      }
    }
    return percentiles.map((q) => quantileOf(buckets, merged, total, q));
  }

  #rotate(now: number): void {
    // After a long quiet spell every slot is stale: clear each once, not once per slot length.
    for (let turns = 0; now >= this.#rotatesAtMs && turns < this.#slots.length; turns++) {
      this.#current = (this.#current + 1) % this.#slots.length;
      this.#slots[this.#current]?.fill(0);
      this.#rotatesAtMs += this.#slotMs;
    }
    if (now >= this.#rotatesAtMs) this.#rotatesAtMs = now + this.#slotMs;
  }
}

export interface WindowedSummaryConfiguration<T extends string> extends SummaryConfiguration<T> {
  readonly percentiles: number[];
  readonly maxAgeSeconds: number;
  readonly ageBuckets: number;
}

export class WindowedSummary<T extends string> extends Summary<T> {
  readonly #name: string;
  readonly #percentiles: readonly number[];
  readonly #series: LabelSeries<T, Window>;

  constructor(config: WindowedSummaryConfiguration<T>) {
    super(config);
    const { ageBuckets, maxAgeSeconds } = config;
    this.#name = config.name;
    this.#percentiles = config.percentiles;
    this.#series = new LabelSeries(
      config.labelNames ?? [],
      () => new Window(ageBuckets, (maxAgeSeconds * 1000) / ageBuckets),
    );
    refuseLabelBoundApis(this);
  }

  /** The recorder of one label set; observing through it allocates nothing. */
  child(labels: LabelValues<T>): (value: number) => void {
    const window = this.#series.get(labels);
    return (value) => window.observe(value);
  }

  override observe(labelsOrValue: LabelValues<T> | number, value?: number): void {
    if (typeof labelsOrValue === "number") this.#series.get({}).observe(labelsOrValue);
    else if (value !== undefined) this.#series.get(labelsOrValue).observe(value);
  }

  override async get(): ReturnType<Summary<T>["get"]> {
    const metric = await super.get();
    const values: typeof metric.values = [];
    for (const { labels, series } of this.#series.entries()) {
      const quantiles = series.quantiles(this.#percentiles);
      this.#percentiles.forEach((quantile, index) => {
        const withQuantile: LabelValues<string> = { ...labels, quantile };
        values.push({ labels: withQuantile, value: quantiles[index] ?? 0 });
      });
      values.push({ metricName: `${this.#name}_sum`, labels, value: series.sum });
      values.push({ metricName: `${this.#name}_count`, labels, value: series.count });
    }
    return { ...metric, values };
  }

  override reset(): void {
    // prom-client's constructor resets before this class's fields exist.
    if (#series in this) this.#series.clear();
  }
}

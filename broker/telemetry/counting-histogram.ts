/**
 * A Prometheus histogram with prom-client's exposition whose observation allocates nothing:
 * prom-client's builds a closure, a label/value pair and a hash string for every value, which
 * the per-publish metrics (call latency, batch size and write time: one batch per publish on
 * an idle store) paid on every call. Counts live in one array per label set, made once.
 */
import {
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
  type ObserveDataWithExemplar,
} from "prom-client";
import { LabelSeries, refuseLabelBoundApis } from "./label-series.ts";

class Counts {
  /** Per upper bound, then +Inf; not cumulative until exposed. */
  readonly buckets: Float64Array;
  count = 0;
  sum = 0;
  readonly #bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.buckets = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let index = 0;
    while (index < this.#bounds.length && value > (this.#bounds[index] ?? Infinity)) index++;
    this.buckets[index] = (this.buckets[index] ?? 0) + 1;
    this.count += 1;
    this.sum += value;
  }
}

/** prom-client's one-argument form, `observe({ value, labels })`. */
const isObserveData = <T extends string>(
  argument: LabelValues<T> | ObserveDataWithExemplar<T>,
  value: number | undefined,
): argument is ObserveDataWithExemplar<T> =>
  value === undefined && "value" in argument && typeof argument.value === "number";

export interface CountingHistogramConfiguration<
  T extends string,
> extends HistogramConfiguration<T> {
  readonly buckets: number[];
}

/** One exposed sample: the histogram's own labels (`le`) apart from the series' label set. */
interface ExposedValue<T extends string> {
  readonly metricName: string;
  readonly labels: { readonly le?: number | string };
  readonly sharedLabels: LabelValues<T>;
  readonly value: number;
}

export class CountingHistogram<T extends string> extends Histogram<T> {
  readonly #name: string;
  readonly #help: string;
  readonly #aggregator: string;
  readonly #bounds: readonly number[];
  readonly #series: LabelSeries<T, Counts>;
  readonly #unlabelled: boolean;

  constructor(config: CountingHistogramConfiguration<T>) {
    super(config);
    const bounds = [...config.buckets].sort((a, b) => a - b);
    this.#name = config.name;
    this.#help = config.help;
    this.#aggregator = config.aggregator ?? "sum";
    this.#bounds = bounds;
    this.#series = new LabelSeries(config.labelNames ?? [], () => new Counts(bounds));
    this.#unlabelled = (config.labelNames ?? []).length === 0;
    // As prom-client's does, a histogram without labels shows its zero series before any observation.
    if (this.#unlabelled) this.#series.get({});
    refuseLabelBoundApis(this);
    // prom-client sets its observe on the instance, over any method of a subclass.
    this.observe = (
      first: LabelValues<T> | number | ObserveDataWithExemplar<T>,
      value?: number,
    ) => {
      if (typeof first === "number") this.#series.get({}).observe(first);
      else if (isObserveData(first, value))
        this.#series.get(first.labels ?? {}).observe(first.value);
      else if (value !== undefined) this.#series.get(first).observe(value);
    };
  }

  /** The recorder of one label set; observing through it allocates nothing. */
  child(labels: LabelValues<T>): (value: number) => void {
    const counts = this.#series.get(labels);
    return (value) => counts.observe(value);
  }

  /**
   * What prom-client's registry formats, and what its `get` (inherited) reads and merges the
   * label sets of: the shape prom-client's own histogram returns here.
   */
  getForPromString() {
    return Promise.resolve({
      name: this.#name,
      help: this.#help,
      type: "histogram",
      aggregator: this.#aggregator,
      values: this.#values(),
    });
  }

  override reset(): void {
    // prom-client's constructor resets before this class's fields exist.
    if (!(#series in this)) return;
    this.#series.clear();
    if (this.#unlabelled) this.#series.get({});
  }

  override zero(labels: LabelValues<T>): void {
    this.#series.get(labels);
  }

  #values(): ExposedValue<T>[] {
    const values: ExposedValue<T>[] = [];
    const bucketName = `${this.#name}_bucket`;
    for (const { labels, series } of this.#series.entries()) {
      let cumulative = 0;
      series.buckets.forEach((n, index) => {
        cumulative += n;
        const le = this.#bounds[index] ?? "+Inf";
        values.push({
          metricName: bucketName,
          labels: { le },
          sharedLabels: labels,
          value: cumulative,
        });
      });
      values.push({
        metricName: `${this.#name}_sum`,
        labels: {},
        sharedLabels: labels,
        value: series.sum,
      });
      values.push({
        metricName: `${this.#name}_count`,
        labels: {},
        sharedLabels: labels,
        value: series.count,
      });
    }
    return values;
  }
}

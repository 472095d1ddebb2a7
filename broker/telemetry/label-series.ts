/**
 * The series of a metric by label set, each made once. A caller on the hot path keeps the
 * series it got (`metric.child(labels)`) and never looks it up again; a lookup by labels keys
 * a one-label metric by its value, without building a key.
 */
import type { LabelValues } from "prom-client";

export class LabelSeries<T extends string, S> {
  readonly #labelNames: readonly T[];
  readonly #make: () => S;
  readonly #series = new Map<string, { readonly labels: LabelValues<T>; readonly series: S }>();

  constructor(labelNames: readonly T[], make: () => S) {
    this.#labelNames = labelNames;
    this.#make = make;
  }

  get(labels: LabelValues<T>): S {
    const key = this.#key(labels);
    const known = this.#series.get(key);
    if (known !== undefined) return known.series;
    for (const name of Object.keys(labels)) {
      if (!this.#labelNames.includes(name as T)) throw new Error(`unknown label ${name}`);
    }
    const series = this.#make();
    this.#series.set(key, { labels: { ...labels }, series });
    return series;
  }

  clear(): void {
    this.#series.clear();
  }

  entries(): Iterable<{ readonly labels: LabelValues<T>; readonly series: S }> {
    return this.#series.values();
  }

  #key(labels: LabelValues<T>): string {
    const [only] = this.#labelNames;
    if (this.#labelNames.length === 1 && only !== undefined) return String(labels[only] ?? "");
    return this.#labelNames.map((name) => String(labels[name] ?? "")).join("\u0000");
  }
}

/**
 * Makes prom-client's label-bound methods, which these metrics replace with `child`, fail
 * loudly: inherited, they would record into state that is never exposed.
 */
export function refuseLabelBoundApis(metric: {
  labels: unknown;
  remove: unknown;
  startTimer: unknown;
}): void {
  for (const method of ["labels", "remove", "startTimer"] as const) {
    metric[method] = () => {
      throw new Error(`${method} is not supported by this metric: use child(labels)`);
    };
  }
}

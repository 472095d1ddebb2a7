/**
 * Which recorded Events repeat an earlier one. A reconcile that starts from a cache not yet
 * holding the status the previous reconcile wrote sees the same transition again; as client-go's
 * event correlator does, an identical Event (same object, type, reason and note) within the
 * window becomes the next count of the first one's series instead of a second Event.
 */
export const seriesWindowMs = 10 * 60_000;
/** Bounds the memory: the oldest series are forgotten first. */
const maxSeries = 4096;

export type SeriesStep =
  | { readonly kind: "new" }
  | { readonly kind: "repeat"; readonly eventName: string; readonly count: number };

interface Series {
  eventName: string;
  count: number;
  startedMs: number;
}

export class EventSeries {
  readonly #series = new Map<string, Series>();

  /** What recording the Event `key` at `nowMs` is: a new Event, or the next of a series. */
  observe(key: string, nowMs: number): SeriesStep {
    const series = this.#series.get(key);
    if (series === undefined || nowMs - series.startedMs > seriesWindowMs) return { kind: "new" };
    series.count += 1;
    return { kind: "repeat", eventName: series.eventName, count: series.count };
  }

  /** Remembers the Event just created for `key` as the first of its series. */
  started(key: string, eventName: string, nowMs: number): void {
    this.#series.delete(key);
    this.#series.set(key, { eventName, count: 1, startedMs: nowMs });
    if (this.#series.size > maxSeries) {
      const oldest = this.#series.keys().next();
      if (!oldest.done) this.#series.delete(oldest.value);
    }
  }
}

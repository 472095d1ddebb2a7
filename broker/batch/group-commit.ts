/**
 * Store-agnostic group commit (docs/architecture.md#storage-and-group-commit). One write is in flight at a time,
 * so batches become durable in submission order, which is what lets the
 * broker fan out in id order.
 *
 * - Idle (nothing in flight): a submission is written at once, so low-load
 *   latency is one store round trip.
 * - While a write is in flight, submissions collect. When it completes, the
 *   collected batch is written as soon as it holds `maxSize` weight or its
 *   oldest item has waited `maxDelayMs` (items that already waited through a
 *   slow write go at once). A batch never exceeds `maxSize`, except a single
 *   submission heavier than that, which goes alone.
 * - Every submission in a batch settles with that batch's write: a failed
 *   write rejects exactly those submissions and nothing else.
 */

export interface BatchReport {
  readonly items: number;
  readonly weight: number;
  readonly durationMs: number;
  readonly ok: boolean;
}

export interface GroupCommitOptions<T> {
  readonly maxSize: number;
  readonly maxDelayMs: number;
  /** Persists one batch; must resolve only when every item is durable. */
  readonly write: (items: readonly T[]) => Promise<void>;
  /** How much of `maxSize` an item uses (e.g. messages in a batch publish); default 1. */
  readonly weight?: (item: T) => number;
  readonly onBatch?: (report: BatchReport) => void;
}

interface Queued<T> {
  readonly item: T;
  readonly weight: number;
  readonly enqueuedAt: number;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
}

export class GroupCommitBatcher<T> {
  readonly #options: GroupCommitOptions<T>;
  #queue: Queued<T>[] = [];
  #queuedWeight = 0;
  #writing = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #idleWaiters: (() => void)[] = [];
  #flushing = false;

  constructor(options: GroupCommitOptions<T>) {
    this.#options = options;
  }

  /** Resolves once `item` is durable; rejects with the write's error if its batch fails. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const weight = this.#options.weight?.(item) ?? 1;
      this.#queue.push({ item, weight, enqueuedAt: performance.now(), resolve, reject });
      this.#queuedWeight += weight;
      if (this.#writing) return;
      if (this.#lingerTimer === undefined || this.#queuedWeight >= this.#options.maxSize) {
        this.#writeNext();
      }
    });
  }

  /** Writes everything submitted so far without lingering; resolves when nothing is queued or in flight. */
  flush(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    this.#flushing = true;
    if (this.#lingerTimer !== undefined) this.#writeNext();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Items waiting for a write (not counting the one in flight). */
  get queuedWeight(): number {
    return this.#queuedWeight;
  }

  #isIdle(): boolean {
    return !this.#writing && this.#queue.length === 0;
  }

  #takeBatch(): { readonly batch: Queued<T>[]; readonly weight: number } {
    let weight = 0;
    let count = 0;
    for (const queued of this.#queue) {
      if (count > 0 && weight + queued.weight > this.#options.maxSize) break;
      weight += queued.weight;
      count += 1;
    }
    // The whole queue (the usual case) is taken as it is, not copied out of it.
    const batch = count === this.#queue.length ? this.#queue : this.#queue.splice(0, count);
    if (batch === this.#queue) this.#queue = [];
    this.#queuedWeight -= weight;
    return { batch, weight };
  }

  #writeNext(): void {
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    const { batch, weight } = this.#takeBatch();
    if (batch.length === 0) return;
    this.#writing = true;
    const started = performance.now();
    const settle = (ok: boolean, error?: unknown) => {
      this.#writing = false;
      this.#options.onBatch?.({
        items: batch.length,
        weight,
        durationMs: performance.now() - started,
        ok,
      });
      for (const queued of batch) {
        if (ok) queued.resolve();
        else queued.reject(error);
      }
      this.#afterWrite();
    };
    Promise.resolve()
      .then(() => this.#options.write(batch.map((queued) => queued.item)))
      .then(
        () => settle(true),
        (err: unknown) => settle(false, err),
      );
  }

  #afterWrite(): void {
    const oldest = this.#queue[0];
    if (oldest === undefined) {
      this.#flushing = false;
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
      return;
    }
    const lingerLeft = oldest.enqueuedAt + this.#options.maxDelayMs - performance.now();
    if (this.#flushing || this.#queuedWeight >= this.#options.maxSize || lingerLeft <= 0) {
      this.#writeNext();
    } else {
      this.#lingerTimer = setTimeout(() => this.#writeNext(), lingerLeft);
    }
  }
}

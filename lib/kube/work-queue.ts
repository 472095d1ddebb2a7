import { defaultControllerRateLimiter, type RateLimiter } from "./rate-limiter.ts";

/**
 * A work queue with client-go's semantics, which no TypeScript library offers:
 * - a key is pending at most once (adds while pending are merged);
 * - a key is never handed to two workers at once: re-added while processing, it is queued
 *   again only when `done` is called;
 * - `addRateLimited` requeues with per-key exponential backoff under a global token bucket;
 * - `addAfter` delays an add, keeping only the earliest pending delay per key.
 *
 * Keys carry no payload: the reconciler re-reads current state (level-triggered).
 */
export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #delayed = new Map<string, { readyAt: number; timer: NodeJS.Timeout }>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #drainWaiters: (() => void)[] = [];
  readonly #limiter: RateLimiter;
  readonly #now: () => number;
  #shuttingDown = false;

  constructor(options: { rateLimiter?: RateLimiter; now?: () => number } = {}) {
    this.#limiter = options.rateLimiter ?? defaultControllerRateLimiter();
    this.#now = options.now ?? Date.now;
  }

  /** Keys waiting to be processed (the `herald_workqueue_depth` gauge). */
  get depth(): number {
    return this.#queue.length;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#enqueue(key);
  }

  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.#now() + delayMs;
    const existing = this.#delayed.get(key);
    if (existing && existing.readyAt <= readyAt) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.#delayed.set(key, { readyAt, timer });
  }

  addRateLimited(key: string): void {
    this.addAfter(key, this.#limiter.when(key));
  }

  /** Stop backing off `key`: its next failure starts again from the base delay. */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  /**
   * The next key to process, marked as processing until `done(key)`. Resolves `undefined`
   * once the queue is shut down and empty, which tells a worker to exit.
   */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) return Promise.resolve(this.#startProcessing(key));
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) this.#enqueue(key);
    else if (this.#isDrained()) this.#drainWaiters.splice(0).forEach((resolve) => resolve());
  }

  /**
   * Refuse new adds, drop delayed ones, and resolve once workers have taken every queued key
   * and called `done` on it (client-go's ShutDownWithDrain).
   */
  shutDownWithDrain(): Promise<void> {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    this.#waiters.splice(0).forEach((resolve) => resolve(undefined));
    if (this.#isDrained()) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #enqueue(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(this.#startProcessing(key));
    else this.#queue.push(key);
  }

  #startProcessing(key: string): string {
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  #isDrained(): boolean {
    return this.#queue.length === 0 && this.#processing.size === 0;
  }
}

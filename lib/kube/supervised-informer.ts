import type { Informer, KubernetesObject, ObjectCache } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { CacheIndex } from "./cache-index.ts";

export type ListWatchLike<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export interface SupervisionOptions {
  /** First delay before restarting a stopped informer; doubles up to `restartMaxDelayMs`. */
  restartBaseDelayMs: number;
  restartMaxDelayMs: number;
  /** Mean period of a full relist; each period is jittered by ±10%. */
  resyncPeriodMs: number;
  /**
   * A healthy informer shows life at least every ~30 s: client-node's watch times out after
   * 30 s of silence and reconnects. Silence longer than this means it hangs: it is replaced.
   */
  watchdogMs: number;
  random?: () => number;
  now?: () => number;
}

export const defaultSupervisionOptions: SupervisionOptions = {
  restartBaseDelayMs: 1000,
  restartMaxDelayMs: 60_000,
  resyncPeriodMs: 10 * 60_000,
  watchdogMs: 2 * 60_000,
};

/**
 * Keeps a client-node informer alive. client-node re-lists on 410 Gone but on any other error
 * emits `error` and stops for good; this restarts it with backoff, relists periodically (so a
 * missed event is repaired), and replaces an informer that has gone silent.
 *
 * `onChange` is called synchronously for every added, updated or deleted object and must only
 * enqueue work. Reads go to the current informer's cache, and with `indexBy`, to its index.
 */
export class SupervisedInformer<T extends KubernetesObject> implements ObjectCache<T> {
  readonly #name: string;
  readonly #create: () => ListWatchLike<T>;
  readonly #onChange: (object: T) => void;
  readonly #log: Logger;
  readonly #options: SupervisionOptions;
  readonly #random: () => number;
  readonly #now: () => number;
  #current: ListWatchLike<T> | undefined;
  #replacement: ListWatchLike<T> | undefined;
  /** Informers whose last start reported an error. */
  readonly #failed = new WeakSet<ListWatchLike<T>>();
  readonly #indexBy: ((object: T) => string | undefined) | undefined;
  /** Each informer's own index, so a relist swaps in its index with its cache. */
  readonly #indexes = new WeakMap<ListWatchLike<T>, CacheIndex<T>>();
  #synced = false;
  #running = false;
  #restartDelayMs: number;
  #restartTimer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #watchdogTimer: NodeJS.Timeout | undefined;
  #lastLifeAt = 0;

  constructor(
    name: string,
    create: () => ListWatchLike<T>,
    onChange: (object: T) => void,
    log: Logger,
    options: SupervisionOptions = defaultSupervisionOptions,
    indexBy?: (object: T) => string | undefined,
  ) {
    this.#name = name;
    this.#indexBy = indexBy;
    this.#create = create;
    this.#onChange = onChange;
    this.#log = log.child({ informer: name });
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#restartDelayMs = options.restartBaseDelayMs;
  }

  get name(): string {
    return this.#name;
  }

  /** True once a full list has been loaded into the cache. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Starts watching; resolves after the first attempt, synced or not (restarts continue). */
  async start(): Promise<void> {
    this.#running = true;
    this.#lastLifeAt = this.#now();
    this.#current = this.#wire(this.#create());
    this.#scheduleResync();
    const checkEvery = Math.max(1000, this.#options.watchdogMs / 4);
    this.#watchdogTimer = setInterval(() => this.#checkWatchdog(), checkEvery);
    if (await this.#startInformer(this.#current)) this.#markSynced();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#restartTimer);
    clearTimeout(this.#resyncTimer);
    clearInterval(this.#watchdogTimer);
    const informers = [this.#current, this.#replacement].filter(
      (informer) => informer !== undefined,
    );
    this.#replacement = undefined;
    await Promise.all(informers.map((informer) => informer.stop()));
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#current?.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.#current?.list(namespace) ?? [];
  }

  /** The cached objects whose `indexBy` value is `value`; none without `indexBy`. */
  indexed(value: string): T[] {
    const current = this.#current;
    const index = current && this.#indexes.get(current);
    if (!current || !index) return [];
    return index.names(value).flatMap(({ namespace, name }) => current.get(name, namespace) ?? []);
  }

  #wire(informer: ListWatchLike<T>): ListWatchLike<T> {
    if (this.#indexBy) {
      const index = new CacheIndex(this.#indexBy);
      this.#indexes.set(informer, index);
      informer.on("add", (object: T) => index.set(object));
      informer.on("update", (object: T) => index.set(object));
      informer.on("delete", (object: T) => index.delete(object));
    }
    const isLive = () =>
      this.#running && (informer === this.#current || informer === this.#replacement);
    const handle = (object: T) => {
      if (!isLive()) return;
      this.#lastLifeAt = this.#now();
      this.#onChange(object);
    };
    informer.on("add", handle);
    informer.on("update", handle);
    informer.on("delete", handle);
    informer.on("connect", () => {
      if (isLive()) this.#lastLifeAt = this.#now();
    });
    informer.on("error", (err: unknown) => {
      this.#failed.add(informer);
      if (this.#running && informer === this.#current) this.#scheduleRestart(err);
    });
    return informer;
  }

  /** Starts `informer`; true when its list and watch came up without an error. */
  async #startInformer(informer: ListWatchLike<T>): Promise<boolean> {
    this.#failed.delete(informer);
    await informer.start();
    return !this.#failed.has(informer);
  }

  #markSynced(): void {
    if (!this.#synced) this.#log.debug("informer synced");
    this.#synced = true;
    this.#restartDelayMs = this.#options.restartBaseDelayMs;
    this.#lastLifeAt = this.#now();
  }

  #scheduleRestart(err: unknown): void {
    if (this.#restartTimer) return;
    const delayMs = this.#jitter(this.#restartDelayMs);
    this.#restartDelayMs = Math.min(this.#restartDelayMs * 2, this.#options.restartMaxDelayMs);
    this.#log.warn({ err, restartInMs: Math.round(delayMs) }, "informer stopped; restarting");
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      const informer = this.#current;
      if (!this.#running || !informer) return;
      // client-node keeps the cache and resourceVersion of a stopped informer, so a restart
      // resumes the watch and only relists when the server answers 410 Gone.
      void this.#startInformer(informer).then((ok) => {
        if (ok && informer === this.#current) this.#markSynced();
      });
    }, delayMs);
  }

  #scheduleResync(): void {
    const delayMs = this.#jitter(this.#options.resyncPeriodMs);
    this.#resyncTimer = setTimeout(() => {
      void this.#replace("resync").finally(() => {
        if (this.#running) this.#scheduleResync();
      });
    }, delayMs);
  }

  #checkWatchdog(): void {
    if (!this.#running || this.#replacement || this.#restartTimer) return;
    const silentMs = this.#now() - this.#lastLifeAt;
    if (silentMs < this.#options.watchdogMs) return;
    this.#log.warn({ silentMs }, "informer silent; replacing it");
    void this.#replace("watchdog");
  }

  /**
   * Lists afresh into a new informer and swaps it in once it has synced, so readers never see
   * an empty cache. Objects that vanished while unobserved are reported as changes too.
   */
  async #replace(reason: "resync" | "watchdog"): Promise<void> {
    if (!this.#running || this.#replacement) return;
    const fresh = this.#wire(this.#create());
    this.#replacement = fresh;
    const ok = await this.#startInformer(fresh);
    if (this.#replacement !== fresh) return; // stopped meanwhile
    this.#replacement = undefined;
    if (!ok || !this.#running) {
      this.#log.warn({ reason }, "relist failed; keeping the current informer");
      await fresh.stop();
      return;
    }
    const old = this.#current;
    this.#current = fresh;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#markSynced();
    this.#log.debug({ reason }, "informer relisted");
    if (!old) return;
    await old.stop();
    for (const object of old.list()) {
      const { name, namespace } = object.metadata ?? {};
      if (name !== undefined && !fresh.get(name, namespace)) this.#onChange(object);
    }
  }

  #jitter(ms: number): number {
    return ms * (0.9 + 0.2 * this.#random());
  }
}

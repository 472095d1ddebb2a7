/**
 * Wraps a MessageStore so that no call hangs and an outage is answered fast
 * (broker/README.md: UNAVAILABLE quickly while the store is unreachable).
 *
 * - Every call is bounded by `timeoutMs`; past it the call fails with
 *   StoreUnavailableError (the store's own work may still finish later).
 * - The first StoreUnavailableError marks the store down. While down, calls
 *   fail at once without touching the store, and a probe (open() until the
 *   store has opened once, then ping()) runs every `probeIntervalMs` until it
 *   succeeds, which marks the store up again.
 * - The guard starts down; `start()` begins probing, so the broker can serve
 *   (UNAVAILABLE) and report not-ready while the store comes up. The first
 *   failed open counts as a change to down, so a store that is unreachable
 *   from the start is reported like one lost later.
 * - The idempotency keys of a write that timed out are in doubt until it
 *   settles: a lookup of one waits for it (writes-in-doubt.ts).
 */
import { Deadlines } from "./deadlines.ts";
import { StoreUnavailableError } from "./errors.ts";
import type { GroupChange, GroupPosition, GroupSettings } from "./group-state.ts";
import type { MessageRecord, MessageStore } from "./message-store.ts";
import { WritesInDoubt } from "./writes-in-doubt.ts";

export interface StoreGuardOptions {
  readonly timeoutMs: number;
  readonly probeIntervalMs: number;
  /** Called on every up/down transition, with the failure that caused a down. */
  readonly onAvailabilityChange?: (available: boolean, cause?: unknown) => void;
  /** While probes keep failing after a down, called with the latest failure at most every `intervalMs`. */
  readonly onStillUnavailable?: {
    readonly intervalMs: number;
    readonly report: (cause: unknown) => void;
  };
  /** Every failed store call (not the fast refusals while the store is down). */
  readonly onError?: (operation: string, kind: "timeout" | "unavailable" | "error") => void;
}

export class StoreGuard implements MessageStore {
  readonly kind: MessageStore["kind"];
  readonly #store: MessageStore;
  readonly #options: StoreGuardOptions;
  /** Every bounded call's timeout, one timer for all of them. */
  readonly #deadlines: Deadlines;
  /** Undefined until the first probe answers or fails. */
  #available: boolean | undefined;
  /** When the down was last reported, by the transition or by onStillUnavailable. */
  #reportedAtMs = 0;
  #opened = false;
  #closed = false;
  #lastFailure: unknown = new StoreUnavailableError("store not opened yet");
  #probeTimer: NodeJS.Timeout | undefined;
  readonly #inDoubt = new WritesInDoubt();
  /** An open() still running after its probe timed out; the next probe waits on it instead of opening twice. */
  #opening: Promise<void> | undefined;

  constructor(store: MessageStore, options: StoreGuardOptions) {
    this.kind = store.kind;
    this.#store = store;
    this.#options = options;
    this.#deadlines = new Deadlines(options.timeoutMs);
  }

  get available(): boolean {
    return this.#available === true;
  }

  /** Why the store is unavailable (the last failure, in one line), or undefined while it answers. */
  get unavailableReason(): string | undefined {
    return this.#available === true ? undefined : describe(this.#lastFailure);
  }

  /** Opens the store in the background, retrying until it succeeds or the guard closes. */
  start(): void {
    this.#scheduleProbe(0);
  }

  /** Resolves once the store is available (used by tests and startup logs). */
  async waitUntilAvailable(pollMs = 20): Promise<void> {
    while (!this.#available) {
      if (this.#closed) throw new StoreUnavailableError("store guard closed");
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  open(): Promise<void> {
    this.start();
    return this.waitUntilAvailable();
  }

  async appendBatch(records: readonly MessageRecord[]): Promise<void> {
    let write: Promise<void> | undefined;
    try {
      await this.#call("appendBatch", () => (write = this.#store.appendBatch(records)));
    } catch (err) {
      // Timed out: the write goes on and may land, so its keys are in doubt until it settles.
      if (err instanceof StoreTimeoutError && write !== undefined)
        this.#inDoubt.hold(records, write);
      throw err;
    }
  }

  get(subject: string, id: number, nowMs: number): Promise<MessageRecord | undefined> {
    return this.#call("get", () => this.#store.get(subject, id, nowMs));
  }

  lastId(subject: string): Promise<number> {
    return this.#call("lastId", () => this.#store.lastId(subject));
  }

  skipped(subject: string, id: number): Promise<boolean> {
    return this.#call("skipped", () => this.#store.skipped(subject, id));
  }

  /** Waits first, within the timeout, for a write of the same key still in doubt. */
  idempotentId(subject: string, key: string, nowMs: number): Promise<number | undefined> {
    const inDoubt = this.#inDoubt.pending(subject, key, nowMs);
    return this.#call("idempotentId", async () => {
      await inDoubt;
      return this.#store.idempotentId(subject, key, nowMs);
    });
  }

  range(subject: string, fromId: number, limit: number, nowMs: number): Promise<MessageRecord[]> {
    return this.#call("range", () => this.#store.range(subject, fromId, limit, nowMs));
  }

  /** Not time-bounded: a background purge of a large backlog may take long, and no caller waits on it. */
  purgeExpired(nowMs: number): Promise<number> {
    return this.#call("purgeExpired", () => this.#store.purgeExpired(nowMs), false);
  }

  ping(): Promise<void> {
    return this.#call("ping", () => this.#store.ping());
  }

  createGroup(settings: GroupSettings): Promise<{ settings: GroupSettings; created: boolean }> {
    return this.#call("createGroup", () => this.#store.createGroup(settings));
  }

  groups(): Promise<GroupSettings[]> {
    return this.#call("groups", () => this.#store.groups());
  }

  groupPositions(group: string): Promise<GroupPosition[]> {
    return this.#call("groupPositions", () => this.#store.groupPositions(group));
  }

  writeGroupChanges(changes: readonly GroupChange[]): Promise<void> {
    return this.#call("writeGroupChanges", () => this.#store.writeGroupChanges(changes));
  }

  subjects(): Promise<string[]> {
    return this.#call("subjects", () => this.#store.subjects());
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#probeTimer);
    this.#setAvailable(false, new StoreUnavailableError("store closed"));
    if (this.#opened) await this.#store.close();
  }

  async #call<T>(operation: string, run: () => Promise<T>, bounded = true): Promise<T> {
    if (!this.#available) {
      throw new StoreUnavailableError(`store is unreachable (${describe(this.#lastFailure)})`);
    }
    try {
      return await (bounded ? this.#bounded(operation, run) : run());
    } catch (err) {
      if (err instanceof StoreUnavailableError) this.#markDown(err);
      this.#options.onError?.(operation, errorKind(err));
      throw err;
    }
  }

  #bounded<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const { timeoutMs } = this.#options;
    return this.#deadlines.bound(
      run,
      () => new StoreTimeoutError(`${operation} timed out after ${timeoutMs} ms`),
    );
  }

  #markDown(cause: unknown): void {
    if (!this.#available) return;
    this.#setAvailable(false, cause);
    this.#scheduleProbe(this.#options.probeIntervalMs);
  }

  #scheduleProbe(delayMs: number): void {
    if (this.#closed) return;
    clearTimeout(this.#probeTimer);
    this.#probeTimer = setTimeout(() => void this.#probe(), delayMs);
    this.#probeTimer.unref();
  }

  async #probe(): Promise<void> {
    try {
      if (this.#opened) {
        await this.#bounded("ping", () => this.#store.ping());
      } else {
        this.#opening ??= this.#store.open().finally(() => (this.#opening = undefined));
        const opening = this.#opening;
        await this.#bounded("open", () => opening);
        this.#opened = true;
      }
      if (!this.#closed) this.#setAvailable(true);
    } catch (err) {
      this.#probeFailed(err);
      this.#scheduleProbe(this.#options.probeIntervalMs);
    }
  }

  #probeFailed(cause: unknown): void {
    if (this.#closed) return;
    if (this.#available === undefined) {
      this.#setAvailable(false, cause);
      return;
    }
    this.#lastFailure = cause;
    const still = this.#options.onStillUnavailable;
    if (still === undefined || Date.now() - this.#reportedAtMs < still.intervalMs) return;
    this.#reportedAtMs = Date.now();
    still.report(cause);
  }

  #setAvailable(available: boolean, cause?: unknown): void {
    if (!available) this.#lastFailure = cause;
    if (this.#available === available) return;
    this.#available = available;
    this.#reportedAtMs = Date.now();
    this.#options.onAvailabilityChange?.(available, cause);
  }
}

/** A store call over the guard's timeout; still UNAVAILABLE to clients, counted apart. */
class StoreTimeoutError extends StoreUnavailableError {}

const errorKind = (err: unknown) =>
  err instanceof StoreTimeoutError
    ? "timeout"
    : err instanceof StoreUnavailableError
      ? "unavailable"
      : "error";

/**
 * A failure in one line. It reaches clients and the unauthenticated /readyz, which the logger's
 * redaction does not cover, so credentials in a URL a driver may quote are cut out.
 */
const describe = (err: unknown) =>
  (err instanceof Error ? err.message : String(err))
    .replace(/\/\/[^/\s@]*@/g, "//")
    .replace(/\s+/g, " ");

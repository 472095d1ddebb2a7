/**
 * Assigns message ids per subject: unique and increasing, continuing after
 * the highest id the store holds. A subject's counter is loaded lazily from
 * `lastId`. Cluster handoff plugs in through `ensureLoaded(subject, floor)`:
 * the new owner continues from max(handed-off id, store lastId).
 *
 * `assign` is synchronous so that a caller can assign ids and enqueue the
 * write in one step, which keeps queue order equal to id order.
 */
import { IdSpaceExhaustedError } from "../errors.ts";

/** PublishResponse.id is int32 in the wire contract. */
export const maxMessageId = 2 ** 31 - 1;

export class SubjectSequencer {
  readonly #loadLastId: (subject: string) => Promise<number>;
  readonly #lastAssigned = new Map<string, number>();
  readonly #loading = new Map<string, Promise<void>>();

  constructor(loadLastId: (subject: string) => Promise<number>) {
    this.#loadLastId = loadLastId;
  }

  /** Loads the subject's counter if needed; concurrent callers share one load, a failed load is retried next time. */
  ensureLoaded(subject: string, floor = 0): Promise<void> {
    if (this.#lastAssigned.has(subject)) return Promise.resolve();
    let loading = this.#loading.get(subject);
    if (loading === undefined) {
      loading = this.#loadLastId(subject)
        .then((lastId) => {
          // A subject released while loading (ownership moved away) stays unloaded.
          if (this.#loading.get(subject) === loading) {
            this.#lastAssigned.set(subject, Math.max(lastId, floor));
          }
        })
        .finally(() => {
          if (this.#loading.get(subject) === loading) this.#loading.delete(subject);
        });
      this.#loading.set(subject, loading);
    }
    return loading;
  }

  /**
   * Forgets the subject (its ownership moved to another broker) and returns the
   * last id assigned here, if loaded. A later `ensureLoaded` loads it afresh.
   */
  release(subject: string): number | undefined {
    this.#loading.delete(subject);
    const last = this.#lastAssigned.get(subject);
    this.#lastAssigned.delete(subject);
    return last;
  }

  /** Whether `assign` may be called for the subject now. */
  loaded(subject: string): boolean {
    return this.#lastAssigned.has(subject);
  }

  /** Subjects loaded or loading. */
  subjects(): string[] {
    return [...new Set([...this.#lastAssigned.keys(), ...this.#loading.keys()])];
  }

  /** Reserves `count` consecutive ids and returns the first. Call only after `ensureLoaded` resolved. */
  assign(subject: string, count: number): number {
    const last = this.#lastAssigned.get(subject);
    if (last === undefined) throw new Error(`sequencer for subject "${subject}" is not loaded`);
    if (last + count > maxMessageId) throw new IdSpaceExhaustedError(subject);
    this.#lastAssigned.set(subject, last + count);
    return last + 1;
  }
}

/**
 * Idempotency keys of writes whose outcome is not known yet: the guard stopped waiting for them (its
 * timeout), but the store may still land them. A repeat of such a key must not be looked up before
 * the write settles, or it would find nothing and be stored a second time (broker/README.md#idempotent-publish).
 */
import type { MessageRecord } from "./message-store.ts";

const entryKey = (subject: string, key: string) => `${subject}\u0000${key}`;

interface Doubt {
  readonly settled: Promise<void>;
  /** Past the key's duplicate window a repeat stores anew anyway, so the doubt no longer matters. */
  readonly untilMs: number;
}

export class WritesInDoubt {
  readonly #doubts = new Map<string, Doubt>();

  /** Holds the keys of `records` until `write` settles, whichever way. */
  hold(records: readonly MessageRecord[], write: Promise<unknown>): void {
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    const keys: string[] = [];
    for (const record of records) {
      if (record.dedup === undefined) continue;
      const key = entryKey(record.subject, record.dedup.key);
      keys.push(key);
      this.#doubts.set(key, { settled, untilMs: record.dedup.untilMs });
    }
    void settled.then(() => {
      for (const key of keys)
        if (this.#doubts.get(key)?.settled === settled) this.#doubts.delete(key);
    });
  }

  /** The write `(subject, key)` waits on, or undefined when none is in doubt at `nowMs`. */
  pending(subject: string, key: string, nowMs: number): Promise<void> | undefined {
    const entry = entryKey(subject, key);
    const doubt = this.#doubts.get(entry);
    if (doubt === undefined) return undefined;
    if (nowMs < doubt.untilMs) return doubt.settled;
    this.#doubts.delete(entry);
    return undefined;
  }

  get size(): number {
    return this.#doubts.size;
  }
}

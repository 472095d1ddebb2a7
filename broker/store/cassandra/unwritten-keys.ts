/**
 * Idempotency keys whose key rows are not written yet. Cassandra writes a batch's keys after its
 * rows (a key without its row would answer a retry with an id never stored), so a write that fails
 * between the two, or whose rows landed though their answer was lost with the connection, leaves
 * stored messages without keys. Held here, a retry still finds its id instead of storing the
 * message again (for an uncertain row, once the row is seen), and the next write writes the keys
 * of durable rows. A crash loses what is held: broker/README.md#idempotent-publish says what that
 * costs.
 */
import type { MessageRecord } from "../message-store.ts";

export type KeyedRecord = MessageRecord & { dedup: NonNullable<MessageRecord["dedup"]> };

/** Whether the message's row is known to be written, or its write failed and may have landed. */
export type RowState = "durable" | "uncertain";

interface Held {
  record: KeyedRecord;
  row: RowState;
}

const entryOf = (subject: string, key: string) => `${subject}\u0000${key}`;

export class UnwrittenKeys {
  readonly #held = new Map<string, Held>();

  hold(record: MessageRecord, row: RowState): void {
    if (record.dedup === undefined) return;
    const entry = entryOf(record.subject, record.dedup.key);
    this.#held.set(entry, { record: { ...record, dedup: record.dedup }, row });
  }

  release(record: MessageRecord): void {
    if (record.dedup === undefined) return;
    const entry = entryOf(record.subject, record.dedup.key);
    if (this.#held.get(entry)?.record.id === record.id) this.#held.delete(entry);
  }

  /** The held records with a durable row and an open window; closed windows are dropped. */
  held(nowMs: number): KeyedRecord[] {
    for (const [entry, { record }] of this.#held)
      if (record.dedup.untilMs <= nowMs) this.#held.delete(entry);
    return [...this.#held.values()]
      .filter(({ row }) => row === "durable")
      .map(({ record }) => record);
  }

  find(subject: string, key: string, nowMs: number): { id: number; row: RowState } | undefined {
    const held = this.#held.get(entryOf(subject, key));
    if (held === undefined || held.record.dedup.untilMs <= nowMs) return undefined;
    return { id: held.record.id, row: held.row };
  }
}

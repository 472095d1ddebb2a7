/**
 * The storage contract every backend implements (memory, PostgreSQL,
 * Cassandra). Ids are assigned by the broker's per-subject sequencer before a
 * batch is written, so a store only persists and reads; this keeps id
 * assignment in one place, which the cluster handoff relies on.
 */

import type { GroupStateStore } from "./group-state.ts";

/** A message ready to persist. `expiresAtMs` is epoch milliseconds; null = never. */
export interface MessageRecord {
  readonly subject: string;
  readonly id: number;
  readonly body: Uint8Array;
  readonly expiresAtMs: number | null;
  /**
   * The publisher's idempotency key, remembered until `untilMs` (epoch ms): a
   * later publish with the same subject and key within that window answers
   * this record's id instead of storing again.
   */
  readonly dedup?: { readonly key: string; readonly untilMs: number };
}

/** Messages, and the consumer groups' state (group-state.ts) in the same store. */
export interface MessageStore extends GroupStateStore {
  /** Human-readable backend name, for logs and metrics labels. */
  readonly kind: "memory" | "postgres" | "cassandra";

  /** Connect and run idempotent migrations. Throws StoreUnavailableError when unreachable. */
  open(): Promise<void>;

  /**
   * Persist a batch in one round trip (or as close as the backend allows).
   * Resolves only when every record is durable; rejects if any is not, in
   * which case the caller treats the whole batch as failed.
   */
  appendBatch(records: readonly MessageRecord[]): Promise<void>;

  /** The record, or undefined when unknown or expired at `nowMs`. */
  get(subject: string, id: number, nowMs: number): Promise<MessageRecord | undefined>;

  /** Highest id ever stored for the subject (expired or not); 0 when none. */
  lastId(subject: string): Promise<number>;

  /**
   * Whether a write went past `id` without storing it (the write meant to store it failed,
   * skipped-ids.ts): such an id is unknown, never expired.
   */
  skipped(subject: string, id: number): Promise<boolean>;

  /** The id stored with `(subject, key)` if its duplicate window is still open at `nowMs`. */
  idempotentId(subject: string, key: string, nowMs: number): Promise<number | undefined>;

  /** Up to `limit` unexpired records with id >= fromId, ascending by id. */
  range(subject: string, fromId: number, limit: number, nowMs: number): Promise<MessageRecord[]>;

  /**
   * Delete records expired at `nowMs`, and idempotency keys whose window has
   * closed; returns how many records were removed.
   */
  purgeExpired(nowMs: number): Promise<number>;

  /** Cheap liveness check used by /readyz and outage detection. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

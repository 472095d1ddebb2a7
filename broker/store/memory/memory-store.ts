/**
 * In-process store: durable as soon as appended (broker/README.md). Each subject
 * keeps at most `maxMessagesPerSubject` records, oldest evicted first; expiry
 * is enforced on read and `purgeExpired` reclaims the memory. `lastId` is kept
 * apart from the records so it survives eviction and purge.
 */
import { StoreUnavailableError } from "../errors.ts";
import {
  collapseGroupChanges,
  type GroupChange,
  type GroupPosition,
  type GroupSettings,
} from "../group-state.ts";
import type { MessageRecord, MessageStore } from "../message-store.ts";
import { type SkippedRun, skippedRuns } from "../skipped-ids.ts";
import { SubjectLog } from "./subject-log.ts";

export interface MemoryStoreOptions {
  readonly maxMessagesPerSubject: number;
}

export class MemoryStore implements MessageStore {
  readonly kind = "memory";
  readonly #maxPerSubject: number;
  readonly #logs = new Map<string, SubjectLog>();
  readonly #lastIds = new Map<string, number>();
  /** Runs of ids that writes went past, per subject: one per failed write, so few. */
  readonly #skipped = new Map<string, SkippedRun[]>();
  /** Per subject, per idempotency key: the id and when its window closes. */
  readonly #dedup = new Map<string, Map<string, { id: number; untilMs: number }>>();
  readonly #groups = new Map<string, GroupSettings>();
  /** Per group, per subject: the cursor and the pending ids with their attempts. */
  readonly #positions = new Map<
    string,
    Map<string, { cursor: number; pending: Map<number, number> }>
  >();
  #open = false;

  constructor(options: MemoryStoreOptions) {
    this.#maxPerSubject = options.maxMessagesPerSubject;
  }

  open(): Promise<void> {
    this.#open = true;
    return Promise.resolve();
  }

  appendBatch(records: readonly MessageRecord[]): Promise<void> {
    return this.#whenOpen(() => {
      for (const run of skippedRuns(records, (subject) => this.#lastIds.get(subject) ?? 0)) {
        this.#skipped.set(run.subject, [...(this.#skipped.get(run.subject) ?? []), run]);
      }
      for (const record of records) {
        let log = this.#logs.get(record.subject);
        if (log === undefined) {
          log = new SubjectLog(record.subject);
          this.#logs.set(record.subject, log);
        }
        log.append(record);
        if (record.dedup !== undefined) {
          let keys = this.#dedup.get(record.subject);
          if (keys === undefined) {
            keys = new Map();
            this.#dedup.set(record.subject, keys);
          }
          keys.set(record.dedup.key, { id: record.id, untilMs: record.dedup.untilMs });
        }
        if (log.size > this.#maxPerSubject) log.evictOldest(log.size - this.#maxPerSubject);
        this.#lastIds.set(
          record.subject,
          Math.max(this.#lastIds.get(record.subject) ?? 0, record.id),
        );
      }
    });
  }

  get(subject: string, id: number, nowMs: number): Promise<MessageRecord | undefined> {
    return this.#whenOpen(() => this.#logs.get(subject)?.get(id, nowMs));
  }

  lastId(subject: string): Promise<number> {
    return this.#whenOpen(() => this.#lastIds.get(subject) ?? 0);
  }

  skipped(subject: string, id: number): Promise<boolean> {
    return this.#whenOpen(() =>
      (this.#skipped.get(subject) ?? []).some((run) => run.firstId <= id && id <= run.lastId),
    );
  }

  idempotentId(subject: string, key: string, nowMs: number): Promise<number | undefined> {
    return this.#whenOpen(() => {
      const entry = this.#dedup.get(subject)?.get(key);
      return entry !== undefined && entry.untilMs > nowMs ? entry.id : undefined;
    });
  }

  range(subject: string, fromId: number, limit: number, nowMs: number): Promise<MessageRecord[]> {
    return this.#whenOpen(() => this.#logs.get(subject)?.range(fromId, limit, nowMs) ?? []);
  }

  purgeExpired(nowMs: number): Promise<number> {
    return this.#whenOpen(() => {
      let removed = 0;
      for (const [subject, keys] of this.#dedup) {
        for (const [key, entry] of keys) if (entry.untilMs <= nowMs) keys.delete(key);
        if (keys.size === 0) this.#dedup.delete(subject);
      }
      for (const [subject, log] of this.#logs) {
        removed += log.purgeExpired(nowMs);
        if (log.size === 0) this.#logs.delete(subject);
      }
      return removed;
    });
  }

  createGroup(settings: GroupSettings): Promise<{ settings: GroupSettings; created: boolean }> {
    return this.#whenOpen(() => {
      const existing = this.#groups.get(settings.name);
      if (existing !== undefined) return { settings: existing, created: false };
      this.#groups.set(settings.name, settings);
      return { settings, created: true };
    });
  }

  groups(): Promise<GroupSettings[]> {
    return this.#whenOpen(() => [...this.#groups.values()]);
  }

  groupPositions(group: string): Promise<GroupPosition[]> {
    return this.#whenOpen(() =>
      [...(this.#positions.get(group) ?? [])].map(([subject, position]) => ({
        subject,
        cursor: position.cursor,
        pending: [...position.pending].map(([id, attempt]) => ({ id, attempt })),
      })),
    );
  }

  writeGroupChanges(changes: readonly GroupChange[]): Promise<void> {
    return this.#whenOpen(() => {
      for (const change of collapseGroupChanges(changes)) {
        let subjects = this.#positions.get(change.group);
        if (subjects === undefined) {
          subjects = new Map();
          this.#positions.set(change.group, subjects);
        }
        let position = subjects.get(change.subject);
        if (position === undefined) {
          position = { cursor: 1, pending: new Map() };
          subjects.set(change.subject, position);
        }
        if (change.kind === "cursor") position.cursor = Math.max(position.cursor, change.cursor);
        else if (change.kind === "deliver") position.pending.set(change.id, change.attempt);
        else position.pending.delete(change.id);
      }
    });
  }

  subjects(): Promise<string[]> {
    return this.#whenOpen(() => [...this.#lastIds.keys()]);
  }

  ping(): Promise<void> {
    return this.#whenOpen(() => undefined);
  }

  close(): Promise<void> {
    this.#open = false;
    return Promise.resolve();
  }

  /** Runs `operation` when open; otherwise rejects as an unreachable store would. */
  #whenOpen<T>(operation: () => T): Promise<T> {
    if (!this.#open) return Promise.reject(new StoreUnavailableError("memory store is not open"));
    return Promise.resolve(operation());
  }
}

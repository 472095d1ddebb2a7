/**
 * Ids that no write stored. The sequencer assigns ids before their batch is written, so a
 * write that fails leaves its ids unused, and the subject's next write goes past them. A
 * store records such a run when a write skips ids, so that Fetch can tell a message that
 * was never stored (unknown) from one that was stored and is gone (expired, purged).
 */
import type { MessageRecord } from "./message-store.ts";

/** Ids `firstId` to `lastId` of `subject`, which a write went past without storing. */
export interface SkippedRun {
  readonly subject: string;
  readonly firstId: number;
  readonly lastId: number;
}

/**
 * The runs of ids `records` skip, given each subject's last id before them (0 when none).
 * A subject's records come in id order, as the sequencer queued them.
 */
export function skippedRuns(
  records: readonly MessageRecord[],
  lastIdBefore: (subject: string) => number,
): SkippedRun[] {
  const last = new Map<string, number>();
  const runs: SkippedRun[] = [];
  for (const { subject, id } of records) {
    const previous = last.get(subject) ?? lastIdBefore(subject);
    if (id > previous + 1) runs.push({ subject, firstId: previous + 1, lastId: id - 1 });
    last.set(subject, Math.max(previous, id));
  }
  return runs;
}

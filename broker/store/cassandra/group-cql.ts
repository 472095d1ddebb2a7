/**
 * The consumer-group tables of the Cassandra store (store/group-state.ts). A
 * group's pending deliveries share one partition, so its state reads in one
 * query. A cursor is written with its own value as the write timestamp (as the
 * subject heads are), so the highest cursor wins without a read.
 */
import { z } from "zod";
import type { GroupChange, GroupPosition, GroupSettings } from "../group-state.ts";
import { joinPositions } from "../group-state.ts";

export interface GroupCql {
  readonly createTables: readonly string[];
  readonly createGroup: string;
  readonly groups: string;
  readonly cursors: string;
  readonly pending: string;
  readonly raiseCursor: string;
  readonly deliver: string;
  readonly settle: string;
  readonly subjects: string;
}

export function groupCql(keyspace: string): GroupCql {
  const groups = `${keyspace}.groups`;
  const cursors = `${keyspace}.group_cursors`;
  const pending = `${keyspace}.group_pending`;
  return {
    createTables: [
      `CREATE TABLE IF NOT EXISTS ${groups} (
        name text PRIMARY KEY,
        pattern text,
        ack_wait_ms int,
        max_deliveries int,
        start_id int
      )`,
      `CREATE TABLE IF NOT EXISTS ${cursors} (
        group_name text,
        subject text,
        next_id bigint,
        PRIMARY KEY (group_name, subject)
      )`,
      `CREATE TABLE IF NOT EXISTS ${pending} (
        group_name text,
        subject text,
        id bigint,
        attempt int,
        PRIMARY KEY (group_name, subject, id)
      )`,
    ],
    createGroup: `INSERT INTO ${groups} (name, pattern, ack_wait_ms, max_deliveries, start_id)
      VALUES (?, ?, ?, ?, ?) IF NOT EXISTS`,
    groups: `SELECT name, pattern, ack_wait_ms, max_deliveries, start_id FROM ${groups}`,
    cursors: `SELECT subject, next_id FROM ${cursors} WHERE group_name = ?`,
    pending: `SELECT subject, id, attempt FROM ${pending} WHERE group_name = ?`,
    raiseCursor: `UPDATE ${cursors} USING TIMESTAMP ? SET next_id = ? WHERE group_name = ? AND subject = ?`,
    deliver: `UPDATE ${pending} SET attempt = ? WHERE group_name = ? AND subject = ? AND id = ?`,
    settle: `DELETE FROM ${pending} WHERE group_name = ? AND subject = ? AND id = ?`,
    subjects: `SELECT subject FROM ${keyspace}.subject_heads`,
  };
}

/** The statement and bind values of one change. */
export function changeStatement(cql: GroupCql, change: GroupChange): [string, unknown[]] {
  switch (change.kind) {
    case "cursor": {
      const cursor = BigInt(change.cursor);
      return [cql.raiseCursor, [cursor, cursor, change.group, change.subject]];
    }
    case "deliver":
      return [cql.deliver, [change.attempt, change.group, change.subject, BigInt(change.id)]];
    case "settle":
      return [cql.settle, [change.group, change.subject, BigInt(change.id)]];
  }
}

const bigintColumn = z.bigint().transform(Number).refine(Number.isSafeInteger);

const GroupRowSchema = z.object({
  name: z.string(),
  pattern: z.string(),
  ack_wait_ms: z.number().int(),
  max_deliveries: z.number().int(),
  start_id: z.number().int(),
});
const CursorRowSchema = z.object({ subject: z.string(), next_id: bigintColumn });
const PendingRowSchema = z.object({
  subject: z.string(),
  id: bigintColumn,
  attempt: z.number().int(),
});
export const SubjectRowSchema = z.object({ subject: z.string() });
/** The answer of an IF NOT EXISTS insert. */
export const AppliedRowSchema = z.object({ "[applied]": z.boolean() });

export function groupFromRow(row: unknown): GroupSettings {
  const parsed = GroupRowSchema.parse(row);
  return {
    name: parsed.name,
    pattern: parsed.pattern,
    ackWaitMs: parsed.ack_wait_ms,
    maxDeliveries: parsed.max_deliveries,
    startId: parsed.start_id,
  };
}

export function positionsFromRows(
  cursorRows: readonly unknown[],
  pendingRows: readonly unknown[],
): GroupPosition[] {
  return joinPositions(
    cursorRows.map((row) => {
      const { subject, next_id } = CursorRowSchema.parse(row);
      return { subject, cursor: next_id };
    }),
    pendingRows.map((row) => PendingRowSchema.parse(row)),
  );
}

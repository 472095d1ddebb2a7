/**
 * The consumer-group tables of the PostgreSQL store (store/group-state.ts): the
 * groups, a cursor per (group, subject) and the pending deliveries. One
 * statement applies a batch of changes, so it commits as a whole.
 */
import pg from "pg";
import { z } from "zod";
import type { GroupChange, GroupPosition, GroupSettings } from "../group-state.ts";
import { joinPositions } from "../group-state.ts";

export interface GroupStatements {
  readonly migrations: readonly string[];
  readonly createGroup: pg.QueryConfig;
  readonly getGroup: pg.QueryConfig;
  readonly groups: pg.QueryConfig;
  readonly cursors: pg.QueryConfig;
  readonly pending: pg.QueryConfig;
  readonly write: pg.QueryConfig;
  readonly subjects: pg.QueryConfig;
}

export function groupStatements(schema: string): GroupStatements {
  const groups = `${pg.escapeIdentifier(schema)}.herald_groups`;
  const cursors = `${pg.escapeIdentifier(schema)}.herald_group_cursors`;
  const pending = `${pg.escapeIdentifier(schema)}.herald_group_pending`;
  const heads = `${pg.escapeIdentifier(schema)}.herald_subject_heads`;
  const columns = "name, pattern, ack_wait_ms, max_deliveries, start_id";
  return {
    migrations: [
      `CREATE TABLE IF NOT EXISTS ${groups} (
        name text PRIMARY KEY,
        pattern text NOT NULL,
        ack_wait_ms integer NOT NULL,
        max_deliveries integer NOT NULL,
        start_id integer NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS ${cursors} (
        group_name text NOT NULL,
        subject text NOT NULL,
        next_id bigint NOT NULL,
        PRIMARY KEY (group_name, subject)
      )`,
      `CREATE TABLE IF NOT EXISTS ${pending} (
        group_name text NOT NULL,
        subject text NOT NULL,
        id bigint NOT NULL,
        attempt integer NOT NULL,
        PRIMARY KEY (group_name, subject, id)
      )`,
    ],
    createGroup: {
      name: "herald_group_create",
      text: `INSERT INTO ${groups} (${columns}) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (name) DO NOTHING RETURNING name`,
    },
    getGroup: {
      name: "herald_group_get",
      text: `SELECT ${columns} FROM ${groups} WHERE name = $1`,
    },
    groups: { name: "herald_groups", text: `SELECT ${columns} FROM ${groups} ORDER BY name` },
    cursors: {
      name: "herald_group_cursors",
      text: `SELECT subject, next_id FROM ${cursors} WHERE group_name = $1`,
    },
    pending: {
      name: "herald_group_pending",
      text: `SELECT subject, id, attempt FROM ${pending} WHERE group_name = $1 ORDER BY subject, id`,
    },
    // A collapsed batch names each pending key once, so the three parts never touch the same row.
    write: {
      name: "herald_group_write",
      text: `WITH raised AS (
        INSERT INTO ${cursors} AS c (group_name, subject, next_id)
        SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
        ON CONFLICT (group_name, subject) DO UPDATE SET next_id = greatest(c.next_id, excluded.next_id)
      ), delivered AS (
        INSERT INTO ${pending} AS p (group_name, subject, id, attempt)
        SELECT * FROM unnest($4::text[], $5::text[], $6::bigint[], $7::integer[])
        ON CONFLICT (group_name, subject, id) DO UPDATE SET attempt = excluded.attempt
      )
      DELETE FROM ${pending} WHERE (group_name, subject, id) IN (
        SELECT * FROM unnest($8::text[], $9::text[], $10::bigint[])
      )`,
    },
    subjects: { name: "herald_subjects", text: `SELECT subject FROM ${heads}` },
  };
}

/** The parameters of the write statement for a collapsed batch. */
export function writeParams(changes: readonly GroupChange[]): unknown[] {
  const cursor: [string[], string[], number[]] = [[], [], []];
  const deliver: [string[], string[], number[], number[]] = [[], [], [], []];
  const settle: [string[], string[], number[]] = [[], [], []];
  for (const change of changes) {
    if (change.kind === "cursor") {
      cursor[0].push(change.group);
      cursor[1].push(change.subject);
      cursor[2].push(change.cursor);
    } else if (change.kind === "deliver") {
      deliver[0].push(change.group);
      deliver[1].push(change.subject);
      deliver[2].push(change.id);
      deliver[3].push(change.attempt);
    } else {
      settle[0].push(change.group);
      settle[1].push(change.subject);
      settle[2].push(change.id);
    }
  }
  return [...cursor, ...deliver, ...settle];
}

const bigintText = z.string().regex(/^\d+$/).transform(Number).refine(Number.isSafeInteger);

const GroupRowSchema = z.object({
  name: z.string(),
  pattern: z.string(),
  ack_wait_ms: z.number().int(),
  max_deliveries: z.number().int(),
  start_id: z.number().int(),
});
const CursorRowSchema = z.object({ subject: z.string(), next_id: bigintText });
const PendingRowSchema = z.object({
  subject: z.string(),
  id: bigintText,
  attempt: z.number().int(),
});
export const SubjectRowSchema = z.object({ subject: z.string() });

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

/** Joins cursor rows and pending rows into one position per subject. */
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

/** Conversions between MessageRecords and what pg sends and returns. */
import { z } from "zod";
import type { MessageRecord } from "../message-store.ts";

/** The six column arrays of the append statement, in parameter order. */
export type AppendColumns = [
  string[],
  number[],
  Uint8Array[],
  (Date | null)[],
  (string | null)[],
  (Date | null)[],
];

export function appendColumns(records: readonly MessageRecord[]): AppendColumns {
  const columns: AppendColumns = [[], [], [], [], [], []];
  for (const { subject, id, body, expiresAtMs, dedup } of records) {
    columns[0].push(subject);
    columns[1].push(id);
    columns[2].push(body);
    columns[3].push(expiresAtMs === null ? null : new Date(expiresAtMs));
    columns[4].push(dedup?.key ?? null);
    columns[5].push(dedup === undefined ? null : new Date(dedup.untilMs));
  }
  return columns;
}

/** pg returns bigint as text; ids are well inside the safe-integer range. */
const bigintText = z
  .string()
  .regex(/^\d+$/)
  .transform(Number)
  .refine(Number.isSafeInteger, "id beyond the safe-integer range");

const MessageRowSchema = z.object({
  id: bigintText,
  body: z.instanceof(Uint8Array),
  expires_at: z.date().nullable(),
});

export const LastIdRowSchema = z.object({ last_id: bigintText });

/** A row of the batched key lookup: the 1-based position of the lookup it answers. */
export const PositionedIdRowSchema = z.object({ position: bigintText, id: bigintText });

export function recordFromRow(subject: string, row: unknown): MessageRecord {
  const { id, body, expires_at } = MessageRowSchema.parse(row);
  return { subject, id, body, expiresAtMs: expires_at === null ? null : expires_at.getTime() };
}

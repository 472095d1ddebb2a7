/** Conversions between MessageRecords and cassandra-driver rows and parameters. */
import { z } from "zod";
import type { MessageRecord } from "../message-store.ts";
import { bucketOf, ttlSeconds } from "./buckets.ts";

/** expires_at_ms of a message that never expires. */
const NEVER = 0;

/** Bind values of the insert statement, in marker order; bigint columns bind as BigInt. */
export function insertParams(record: MessageRecord, nowMs: number): unknown[] {
  const { subject, id, body, expiresAtMs } = record;
  return [
    subject,
    BigInt(bucketOf(id)),
    BigInt(id),
    Buffer.from(body.buffer, body.byteOffset, body.byteLength),
    BigInt(expiresAtMs ?? NEVER),
    ttlSeconds(expiresAtMs, nowMs),
  ];
}

/** Highest id per subject in a batch: the heads to advance once the rows are written. */
export function headsOf(records: readonly MessageRecord[]): Map<string, number> {
  const heads = new Map<string, number>();
  for (const { subject, id } of records) heads.set(subject, Math.max(heads.get(subject) ?? 0, id));
  return heads;
}

/** The driver returns bigint as BigInt (useBigIntAsLong); ids and epoch milliseconds stay below 2^53. */
const bigintColumn = z
  .bigint()
  .transform(Number)
  .refine(Number.isSafeInteger, "beyond the safe-integer range");

const StoredMessageSchema = z.object({
  body: z.instanceof(Uint8Array),
  expires_at_ms: bigintColumn,
});
const RangeRowSchema = StoredMessageSchema.extend({ id: bigintColumn });
export const LastIdRowSchema = z.object({ last_id: bigintColumn.nullable() });
export const IdempotencyRowSchema = z.object({ id: bigintColumn, until_ms: bigintColumn });

/** TTL of a key's row: its window in whole seconds, rounded up, at least 1 (0 would mean never). */
export const keyTtlSeconds = (untilMs: number, nowMs: number): number =>
  Math.max(1, Math.ceil((untilMs - nowMs) / 1000));

function toRecord(
  subject: string,
  id: number,
  row: z.infer<typeof StoredMessageSchema>,
): MessageRecord {
  return {
    subject,
    id,
    body: row.body,
    expiresAtMs: row.expires_at_ms === NEVER ? null : row.expires_at_ms,
  };
}

export const recordFromGetRow = (subject: string, id: number, row: unknown): MessageRecord =>
  toRecord(subject, id, StoredMessageSchema.parse(row));

export function recordFromRangeRow(subject: string, row: unknown): MessageRecord {
  const parsed = RangeRowSchema.parse(row);
  return toRecord(subject, parsed.id, parsed);
}

export const isLive = (record: MessageRecord, nowMs: number): boolean =>
  record.expiresAtMs === null || record.expiresAtMs > nowMs;

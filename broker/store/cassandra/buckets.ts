/**
 * Partition and TTL arithmetic. Messages live in partitions of
 * (subject, bucket) with bucket = floor(id / BUCKET_SPAN). The span is fixed
 * (changing it would orphan every stored row), and 10,000 keeps a partition
 * around 1–10 MB at typical 100 B–1 KB bodies, well below the ~100 MB where
 * Cassandra partitions get slow to compact and repair, while replay still
 * reads thousands of messages per partition. Ids are dense per subject, so
 * a bucket number can be computed from any id without an index.
 */
export const BUCKET_SPAN = 10_000;

/** Cassandra refuses TTLs above 20 years. */
export const MAX_TTL_SECONDS = 630_720_000;

export const bucketOf = (id: number): number => Math.floor(id / BUCKET_SPAN);

/** First id of the bucket after the one holding `id`. */
export const nextBucketStart = (id: number): number => (bucketOf(id) + 1) * BUCKET_SPAN;

/**
 * The row TTL for an expiry, 0 meaning none. Rounded up so a row never
 * disappears before its expiry (reads filter on the exact expiry), at least 1
 * because Cassandra reads 0 as "no TTL", and capped at Cassandra's maximum.
 */
export function ttlSeconds(expiresAtMs: number | null, nowMs: number): number {
  if (expiresAtMs === null) return 0;
  const seconds = Math.ceil((expiresAtMs - nowMs) / 1000);
  return Math.min(Math.max(seconds, 1), MAX_TTL_SECONDS);
}

/**
 * Where a range read continues after reading `rows` rows, with ids up to
 * `lastReadId`, when it asked for `requested`: a full answer may have more in
 * the same bucket, a short one exhausted it.
 */
export function nextRangeCursor(
  cursor: number,
  requested: number,
  rows: number,
  lastReadId: number | undefined,
): number {
  return rows === requested && lastReadId !== undefined ? lastReadId + 1 : nextBucketStart(cursor);
}

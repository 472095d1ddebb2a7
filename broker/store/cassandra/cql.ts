/** Every CQL text the Cassandra store runs, for one keyspace. */

export interface CassandraStatements {
  readonly createKeyspace: string;
  readonly createTables: readonly string[];
  /** Cheap reads that fail when a table is missing, for a schema managed elsewhere. */
  readonly probeTables: readonly string[];
  readonly insertMessage: string;
  readonly advanceHead: string;
  readonly getMessage: string;
  readonly rangeOfBucket: string;
  readonly lastId: string;
  readonly insertSkipped: string;
  readonly skipped: string;
  readonly insertIdempotencyKey: string;
  readonly idempotentId: string;
}

export function cassandraStatements(
  keyspace: string,
  replicationFactor: number,
): CassandraStatements {
  const messages = `${keyspace}.messages`;
  const heads = `${keyspace}.subject_heads`;
  const dedup = `${keyspace}.idempotency_keys`;
  const skipped = `${keyspace}.skipped_ids`;
  return {
    createKeyspace: `CREATE KEYSPACE IF NOT EXISTS ${keyspace}
      WITH replication = {'class': 'SimpleStrategy', 'replication_factor': ${replicationFactor}}`,
    createTables: [
      // expires_at_ms repeats the TTL at millisecond precision, which reads
      // filter on; the TTL (whole seconds) is what reclaims the space. 0 means
      // never: the column is never null, so no tombstone is written and a
      // rewrite of an id always replaces the old expiry.
      `CREATE TABLE IF NOT EXISTS ${messages} (
        subject text,
        bucket bigint,
        id bigint,
        body blob,
        expires_at_ms bigint,
        PRIMARY KEY ((subject, bucket), id)
      ) WITH CLUSTERING ORDER BY (id ASC)`,
      `CREATE TABLE IF NOT EXISTS ${heads} (
        subject text PRIMARY KEY,
        last_id bigint
      )`,
      // The TTL is the duplicate window, so Cassandra itself purges closed windows.
      `CREATE TABLE IF NOT EXISTS ${dedup} (
        subject text,
        key text,
        id bigint,
        until_ms bigint,
        PRIMARY KEY ((subject, key))
      )`,
      // Runs of ids a write went past (skipped-ids.ts), newest first: one row per failed write.
      `CREATE TABLE IF NOT EXISTS ${skipped} (
        subject text,
        first_id bigint,
        last_id bigint,
        PRIMARY KEY (subject, first_id)
      ) WITH CLUSTERING ORDER BY (first_id DESC)`,
    ],
    probeTables: [
      `SELECT id FROM ${messages} LIMIT 1`,
      `SELECT last_id FROM ${heads} LIMIT 1`,
      `SELECT id FROM ${dedup} LIMIT 1`,
      `SELECT last_id FROM ${skipped} LIMIT 1`,
    ],
    // TTL 0 means "never expires".
    insertMessage: `INSERT INTO ${messages} (subject, bucket, id, body, expires_at_ms)
      VALUES (?, ?, ?, ?, ?) USING TTL ?`,
    // The write timestamp is the id itself, so whichever write carries the
    // highest id wins regardless of arrival order: a monotonic max without a
    // lightweight transaction. Nothing else writes this table.
    advanceHead: `UPDATE ${heads} USING TIMESTAMP ? SET last_id = ? WHERE subject = ?`,
    getMessage: `SELECT body, expires_at_ms FROM ${messages}
      WHERE subject = ? AND bucket = ? AND id = ?`,
    rangeOfBucket: `SELECT id, body, expires_at_ms FROM ${messages}
      WHERE subject = ? AND bucket = ? AND id >= ? LIMIT ?`,
    lastId: `SELECT last_id FROM ${heads} WHERE subject = ?`,
    insertSkipped: `INSERT INTO ${skipped} (subject, first_id, last_id) VALUES (?, ?, ?)`,
    // The run that starts at or below the id and nearest to it is the only one that can hold it.
    skipped: `SELECT last_id FROM ${skipped} WHERE subject = ? AND first_id <= ? LIMIT 1`,
    insertIdempotencyKey: `INSERT INTO ${dedup} (subject, key, id, until_ms)
      VALUES (?, ?, ?, ?) USING TTL ?`,
    idempotentId: `SELECT id, until_ms FROM ${dedup} WHERE subject = ? AND key = ?`,
  };
}

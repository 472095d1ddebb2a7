/**
 * Every SQL text the PostgreSQL store runs, built once per schema. Statements
 * that run per call carry a name so that pg prepares them once per connection.
 */
import pg from "pg";

export interface PostgresStatements {
  /** Idempotent DDL, run in order inside the migration transaction. */
  readonly migrations: readonly string[];
  readonly append: pg.QueryConfig;
  readonly get: pg.QueryConfig;
  readonly range: pg.QueryConfig;
  readonly lastId: pg.QueryConfig;
  readonly skipped: pg.QueryConfig;
  /** The ids of many (subject, key, at) lookups at once, by their position. */
  readonly idempotentIds: pg.QueryConfig;
  readonly purge: pg.QueryConfig;
  readonly purgeDedup: pg.QueryConfig;
}

export function postgresStatements(schema: string): PostgresStatements {
  const messages = `${pg.escapeIdentifier(schema)}.herald_messages`;
  const heads = `${pg.escapeIdentifier(schema)}.herald_subject_heads`;
  const dedup = `${pg.escapeIdentifier(schema)}.herald_idempotency_keys`;
  const skipped = `${pg.escapeIdentifier(schema)}.herald_skipped_ids`;
  const live = "(expires_at IS NULL OR expires_at > $3)";
  return {
    migrations: [
      `CREATE TABLE IF NOT EXISTS ${messages} (
        subject text NOT NULL,
        id bigint NOT NULL,
        body bytea NOT NULL,
        expires_at timestamptz NULL,
        PRIMARY KEY (subject, id)
      )`,
      // Partial: most messages never expire, and the purge only looks at those that do.
      `CREATE INDEX IF NOT EXISTS herald_messages_expires_at
        ON ${messages} (expires_at) WHERE expires_at IS NOT NULL`,
      // Survives the purge of every row, so ids never restart after expiry.
      `CREATE TABLE IF NOT EXISTS ${heads} (
        subject text PRIMARY KEY,
        last_id bigint NOT NULL
      )`,
      // Its own table: a key outlives a message that expires or is evicted sooner.
      `CREATE TABLE IF NOT EXISTS ${dedup} (
        subject text NOT NULL,
        key text NOT NULL,
        id bigint NOT NULL,
        until timestamptz NOT NULL,
        PRIMARY KEY (subject, key)
      )`,
      `CREATE INDEX IF NOT EXISTS herald_idempotency_keys_until ON ${dedup} (until)`,
      // Runs of ids a write went past (skipped-ids.ts): one row per failed write, never purged.
      `CREATE TABLE IF NOT EXISTS ${skipped} (
        subject text NOT NULL,
        first_id bigint NOT NULL,
        last_id bigint NOT NULL,
        PRIMARY KEY (subject, first_id)
      )`,
    ],
    // One statement, so rows and heads commit together. A row that already
    // exists can only come from a batch that was never acknowledged (a crash
    // after commit, before the reply), so the newer write replaces it: keeping
    // the old body would acknowledge a message that is not what was stored.
    // Heads are locked in subject order so concurrent batches cannot deadlock.
    // Idempotency keys commit in the same statement, so a key is never
    // durable without its message, nor a message without its key. The ids
    // the batch goes past (above the head before it, or between its own
    // ids) are recorded as skipped from the heads as this statement found them.
    append: {
      name: "herald_append",
      text: `WITH batch AS (
        SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::timestamptz[],
          $5::text[], $6::timestamptz[])
          AS b(subject, id, body, expires_at, key, until)
      ), stored AS (
        INSERT INTO ${messages} (subject, id, body, expires_at)
        SELECT subject, id, body, expires_at FROM batch
        ON CONFLICT (subject, id) DO UPDATE
          SET body = excluded.body, expires_at = excluded.expires_at
      ), keyed AS (
        INSERT INTO ${dedup} (subject, key, id, until)
        SELECT subject, key, id, until FROM batch WHERE key IS NOT NULL
        ON CONFLICT (subject, key) DO UPDATE SET id = excluded.id, until = excluded.until
      ), skipped AS (
        INSERT INTO ${skipped} (subject, first_id, last_id)
        SELECT subject, previous + 1, id - 1 FROM (
          SELECT b.subject, b.id, coalesce(
            greatest(lag(b.id) OVER (PARTITION BY b.subject ORDER BY b.id), h.last_id), 0
          ) AS previous
          FROM batch b LEFT JOIN ${heads} h ON h.subject = b.subject
        ) AS s WHERE id > previous + 1
        ON CONFLICT (subject, first_id) DO NOTHING
      )
      INSERT INTO ${heads} AS h (subject, last_id)
      SELECT subject, max(id) FROM batch GROUP BY subject ORDER BY subject
      ON CONFLICT (subject) DO UPDATE SET last_id = greatest(h.last_id, excluded.last_id)`,
    },
    get: {
      name: "herald_get",
      text: `SELECT id, body, expires_at FROM ${messages}
        WHERE subject = $1 AND id = $2 AND ${live}`,
    },
    range: {
      name: "herald_range",
      text: `SELECT id, body, expires_at FROM ${messages}
        WHERE subject = $1 AND id >= $2 AND ${live}
        ORDER BY id LIMIT $4`,
    },
    lastId: {
      name: "herald_last_id",
      text: `SELECT last_id FROM ${heads} WHERE subject = $1`,
    },
    skipped: {
      name: "herald_skipped",
      text: `SELECT 1 FROM ${skipped} WHERE subject = $1 AND first_id <= $2 AND last_id >= $2 LIMIT 1`,
    },
    idempotentIds: {
      name: "herald_idempotent_ids",
      text: `SELECT wanted.position, d.id
        FROM unnest($1::text[], $2::text[], $3::timestamptz[])
          WITH ORDINALITY AS wanted(subject, key, at, position)
        JOIN ${dedup} d ON d.subject = wanted.subject AND d.key = wanted.key
        WHERE d.until > wanted.at`,
    },
    // SKIP LOCKED lets several brokers purge at once without waiting on each other.
    purge: {
      name: "herald_purge",
      text: `DELETE FROM ${messages} WHERE (subject, id) IN (
        SELECT subject, id FROM ${messages}
        WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED
      )`,
    },
    purgeDedup: {
      name: "herald_purge_idempotency_keys",
      text: `DELETE FROM ${dedup} WHERE (subject, key) IN (
        SELECT subject, key FROM ${dedup}
        WHERE until <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED
      )`,
    },
  };
}

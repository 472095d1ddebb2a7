/**
 * PostgreSQL MessageStore (docs/architecture.md#storage-and-group-commit): one table keyed by (subject, id), a
 * per-subject head table for lastId, one prepared statement per batch.
 * Timeouts are short and every transient failure becomes
 * StoreUnavailableError; the pool replaces broken connections by itself, so
 * the store recovers when the server returns without being reopened.
 */
import pg from "pg";
import type { Logger } from "pino";
import { StoreUnavailableError } from "../errors.ts";
import {
  collapseGroupChanges,
  type GroupChange,
  type GroupPosition,
  type GroupSettings,
} from "../group-state.ts";
import type { MessageRecord, MessageStore } from "../message-store.ts";
import { rethrowAsStoreError } from "./errors.ts";
import { PostgresStoreOptionsSchema, type PostgresStoreOptionsInput } from "./options.ts";
import { LookupBatcher } from "../lookup-batcher.ts";
import { appendColumns, LastIdRowSchema, PositionedIdRowSchema, recordFromRow } from "./rows.ts";
import {
  groupFromRow,
  positionsFromRows,
  groupStatements,
  type GroupStatements,
  SubjectRowSchema,
  writeParams,
} from "./group-sql.ts";
import { postgresStatements, type PostgresStatements } from "./sql.ts";

interface KeyLookup {
  readonly subject: string;
  readonly key: string;
  readonly nowMs: number;
}

/** Keys looked up in one query at most: a burst is answered in a few short index lookups. */
const maxKeyLookups = 1000;

/** How long the client waits past statement_timeout before abandoning a query (a dead link). */
const CLIENT_TIMEOUT_MARGIN_MS = 1000;

export function createPostgresStore(
  options: PostgresStoreOptionsInput,
  logger?: Pick<Logger, "warn">,
): MessageStore {
  const config = PostgresStoreOptionsSchema.parse(options);
  const statements = postgresStatements(config.schema);
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    connectionTimeoutMillis: config.connectTimeoutMs,
    statement_timeout: config.statementTimeoutMs,
    query_timeout: config.statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
    lock_timeout: config.statementTimeoutMs,
    idle_in_transaction_session_timeout: config.statementTimeoutMs * 2,
    application_name: config.applicationName,
    keepAlive: true,
  });
  // An idle client that loses its server emits here; without a listener that would crash the process.
  pool.on("error", (err) => logger?.warn({ err: err.message }, "postgres idle connection lost"));
  return new PostgresStore(
    pool,
    statements,
    groupStatements(config.schema),
    config.schema,
    config.purgeChunkSize,
  );
}

class PostgresStore implements MessageStore {
  readonly kind = "postgres";
  readonly #pool: pg.Pool;
  readonly #sql: PostgresStatements;
  readonly #groupSql: GroupStatements;
  readonly #schema: string;
  readonly #purgeChunkSize: number;
  readonly #keyLookups = new LookupBatcher<KeyLookup, number>(
    (lookups) => this.#idempotentIds(lookups),
    maxKeyLookups,
  );

  constructor(
    pool: pg.Pool,
    sql: PostgresStatements,
    groupSql: GroupStatements,
    schema: string,
    purgeChunkSize: number,
  ) {
    this.#pool = pool;
    this.#sql = sql;
    this.#groupSql = groupSql;
    this.#schema = schema;
    this.#purgeChunkSize = purgeChunkSize;
  }

  async open(): Promise<void> {
    const client = await this.#pool
      .connect()
      .catch((err: unknown) => rethrowAsStoreError(err, "open"));
    let failure: unknown;
    try {
      await client.query("BEGIN");
      // Concurrent brokers starting on a fresh database would otherwise race on the catalog.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
        `herald-migrate:${this.#schema}`,
      ]);
      await this.#ensureSchema(client);
      for (const ddl of [...this.#sql.migrations, ...this.#groupSql.migrations])
        await client.query(ddl);
      await client.query("COMMIT");
    } catch (err) {
      failure = err;
      await client.query("ROLLBACK").catch(() => undefined);
      rethrowAsStoreError(err, "migrate");
    } finally {
      client.release(failure instanceof Error ? failure : undefined);
    }
  }

  async appendBatch(records: readonly MessageRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.#query("append", { ...this.#sql.append, values: appendColumns(records) });
  }

  async get(subject: string, id: number, nowMs: number): Promise<MessageRecord | undefined> {
    const result = await this.#query("get", {
      ...this.#sql.get,
      values: [subject, id, new Date(nowMs)],
    });
    const row: unknown = result.rows[0];
    return row === undefined ? undefined : recordFromRow(subject, row);
  }

  async lastId(subject: string): Promise<number> {
    const result = await this.#query("lastId", { ...this.#sql.lastId, values: [subject] });
    const row: unknown = result.rows[0];
    return row === undefined ? 0 : LastIdRowSchema.parse(row).last_id;
  }

  async skipped(subject: string, id: number): Promise<boolean> {
    const result = await this.#query("skipped", { ...this.#sql.skipped, values: [subject, id] });
    return result.rows.length > 0;
  }

  /** Batched: a burst of keyed publishes takes one connection, not one each (lookup-batcher.ts). */
  idempotentId(subject: string, key: string, nowMs: number): Promise<number | undefined> {
    return this.#keyLookups.lookup({ subject, key, nowMs });
  }

  async #idempotentIds(lookups: readonly KeyLookup[]): Promise<(number | undefined)[]> {
    const result = await this.#query("idempotentId", {
      ...this.#sql.idempotentIds,
      values: [
        lookups.map((lookup) => lookup.subject),
        lookups.map((lookup) => lookup.key),
        lookups.map((lookup) => new Date(lookup.nowMs)),
      ],
    });
    const ids: (number | undefined)[] = lookups.map(() => undefined);
    for (const row of result.rows) {
      const { position, id } = PositionedIdRowSchema.parse(row);
      ids[position - 1] = id;
    }
    return ids;
  }

  async range(
    subject: string,
    fromId: number,
    limit: number,
    nowMs: number,
  ): Promise<MessageRecord[]> {
    if (limit <= 0) return [];
    const result = await this.#query("range", {
      ...this.#sql.range,
      values: [subject, fromId, new Date(nowMs), limit],
    });
    return result.rows.map((row: unknown) => recordFromRow(subject, row));
  }

  /** Deletes in chunks until a chunk comes back short; each chunk is its own short transaction. */
  async purgeExpired(nowMs: number): Promise<number> {
    await this.#purgeInChunks(this.#sql.purgeDedup, nowMs);
    return this.#purgeInChunks(this.#sql.purge, nowMs);
  }

  async #purgeInChunks(statement: pg.QueryConfig, nowMs: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const result = await this.#query("purge", {
        ...statement,
        values: [new Date(nowMs), this.#purgeChunkSize],
      });
      const deleted = result.rowCount ?? 0;
      removed += deleted;
      if (deleted < this.#purgeChunkSize) return removed;
    }
  }

  async createGroup(
    settings: GroupSettings,
  ): Promise<{ settings: GroupSettings; created: boolean }> {
    const { name, pattern, ackWaitMs, maxDeliveries, startId } = settings;
    const inserted = await this.#query("createGroup", {
      ...this.#groupSql.createGroup,
      values: [name, pattern, ackWaitMs, maxDeliveries, startId],
    });
    if (inserted.rowCount === 1) return { settings, created: true };
    const found = await this.#query("createGroup", { ...this.#groupSql.getGroup, values: [name] });
    return { settings: groupFromRow(found.rows[0]), created: false };
  }

  async groups(): Promise<GroupSettings[]> {
    const result = await this.#query("groups", this.#groupSql.groups);
    return result.rows.map((row: unknown) => groupFromRow(row));
  }

  async groupPositions(group: string): Promise<GroupPosition[]> {
    const [cursors, pending] = await Promise.all([
      this.#query("groupPositions", { ...this.#groupSql.cursors, values: [group] }),
      this.#query("groupPositions", { ...this.#groupSql.pending, values: [group] }),
    ]);
    return positionsFromRows(cursors.rows, pending.rows);
  }

  async writeGroupChanges(changes: readonly GroupChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.#query("writeGroupChanges", {
      ...this.#groupSql.write,
      values: writeParams(collapseGroupChanges(changes)),
    });
  }

  async subjects(): Promise<string[]> {
    const result = await this.#query("subjects", this.#groupSql.subjects);
    return result.rows.map((row: unknown) => SubjectRowSchema.parse(row).subject);
  }

  async ping(): Promise<void> {
    await this.#query("ping", { text: "SELECT 1" });
  }

  async close(): Promise<void> {
    if (!this.#pool.ended) await this.#pool.end();
  }

  async #ensureSchema(client: pg.PoolClient): Promise<void> {
    // CREATE SCHEMA IF NOT EXISTS checks the CREATE privilege even when the
    // schema exists, so look first: a least-privileged user can use `public`.
    const found = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [
      this.#schema,
    ]);
    if (found.rowCount === 0) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(this.#schema)}`);
    }
  }

  async #query(operation: string, query: pg.QueryConfig): Promise<pg.QueryResult> {
    if (this.#pool.ended) throw new StoreUnavailableError("postgres store is closed");
    try {
      return await this.#pool.query(query);
    } catch (err) {
      return rethrowAsStoreError(err, operation);
    }
  }
}

/**
 * Cassandra MessageStore (docs/architecture.md#storage-and-group-commit): rows partitioned by (subject, bucket),
 * native per-row TTL, and a head table for lastId. All statements are
 * prepared and run at LOCAL_QUORUM. Transient failures become
 * StoreUnavailableError within the request timeout, and the driver
 * reconnects to returning nodes by itself with bounded backoff.
 */
import { Client, policies, types } from "cassandra-driver";
import type { Logger } from "pino";
import { StoreUnavailableError } from "../errors.ts";
import {
  collapseGroupChanges,
  type GroupChange,
  type GroupPosition,
  type GroupSettings,
} from "../group-state.ts";
import type { MessageRecord, MessageStore } from "../message-store.ts";
import { bucketOf, nextRangeCursor } from "./buckets.ts";
import { cassandraStatements, type CassandraStatements } from "./cql.ts";
import { rethrowAsStoreError } from "./errors.ts";
import {
  AppliedRowSchema,
  changeStatement,
  groupCql,
  type GroupCql,
  groupFromRow,
  positionsFromRows,
  SubjectRowSchema,
} from "./group-cql.ts";
import { partitionChunks } from "./partitions.ts";
import { skippedRuns } from "../skipped-ids.ts";
import {
  CassandraStoreOptionsSchema,
  type CassandraStoreOptions,
  type CassandraStoreOptionsInput,
} from "./options.ts";
import {
  headsOf,
  insertParams,
  isLive,
  IdempotencyRowSchema,
  keyTtlSeconds,
  LastIdRowSchema,
  recordFromGetRow,
  recordFromRangeRow,
} from "./rows.ts";
import { type KeyedRecord, UnwrittenKeys } from "./unwritten-keys.ts";

/** Schema changes wait for every node to agree, which takes seconds, not the request timeout. */
const SCHEMA_TIMEOUT_MS = 30_000;

export function createCassandraStore(
  options: CassandraStoreOptionsInput,
  logger?: Pick<Logger, "warn">,
): MessageStore {
  const config = CassandraStoreOptionsSchema.parse(options);
  const client = new Client({
    contactPoints: config.contactPoints,
    localDataCenter: config.localDataCenter,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    // v4 is the newest this driver speaks; starting there skips a refused DSE handshake per connection.
    protocolOptions: { port: config.port, maxVersion: types.protocolVersion.v4 },
    socketOptions: {
      connectTimeout: config.connectTimeoutMs,
      readTimeout: config.requestTimeoutMs,
      keepAlive: true,
    },
    policies: {
      reconnection: new policies.reconnection.ExponentialReconnectionPolicy(
        config.reconnectBaseDelayMs,
        config.reconnectMaxDelayMs,
      ),
    },
    // Every statement here is an upsert or a read, so the driver may retry it on another node.
    queryOptions: {
      consistency: types.consistencies.localQuorum,
      prepare: true,
      isIdempotent: true,
    },
    encoding: { useBigIntAsLong: true },
  });
  client.on("log", (level: string, className: string, message: string) => {
    if (level === "warning") logger?.warn({ component: className }, message);
  });
  return new CassandraStore(client, config);
}

class CassandraStore implements MessageStore {
  readonly kind = "cassandra";
  readonly #client: Client;
  readonly #config: CassandraStoreOptions;
  readonly #cql: CassandraStatements;
  readonly #unwrittenKeys = new UnwrittenKeys();
  readonly #groupCql: GroupCql;
  #closed = false;

  constructor(client: Client, config: CassandraStoreOptions) {
    this.#client = client;
    this.#config = config;
    this.#cql = cassandraStatements(config.keyspace, config.replicationFactor);
    this.#groupCql = groupCql(config.keyspace);
  }

  async open(): Promise<void> {
    await this.#run("open", () => this.#client.connect());
    if (this.#config.manageSchema) {
      await this.#ddl(this.#cql.createKeyspace);
      for (const table of [...this.#cql.createTables, ...this.#groupCql.createTables])
        await this.#ddl(table);
      return;
    }
    for (const probe of this.#cql.probeTables) {
      await this.#execute("open", probe, []).catch((err: unknown) => {
        if (err instanceof StoreUnavailableError) throw err;
        throw new Error(
          `cassandra keyspace "${this.#config.keyspace}" lacks Herald's tables and manageSchema is off`,
          { cause: err },
        );
      });
    }
  }

  /**
   * Rows first, as one unlogged batch per partition chunk, then heads: a head
   * never points past a row that failed to write. The heads before the batch are
   * read alongside the rows, and the ids the batch goes past are recorded as
   * skipped before the heads move past them.
   */
  async appendBatch(records: readonly MessageRecord[]): Promise<void> {
    if (records.length === 0) return;
    const nowMs = Date.now();
    const earlier = this.#unwrittenKeys.held(nowMs);
    const [headsBefore] = await Promise.all([
      this.#heads(new Set(records.map((record) => record.subject))),
      ...partitionChunks(records).map(async (chunk) => {
        // A failed batch may still have landed (its answer lost with the connection): its keys
        // are held as uncertain, and a retry looks for the row before it stores again.
        const landed = await this.#run("append", () =>
          this.#client.batch(
            chunk.map((record) => ({
              query: this.#cql.insertMessage,
              params: insertParams(record, nowMs),
            })),
            { logged: false },
          ),
        ).then(
          () => true,
          (err: unknown) => {
            for (const record of chunk) this.#unwrittenKeys.hold(record, "uncertain");
            throw err;
          },
        );
        // These rows are durable, even if another chunk fails: their keys are held until written.
        if (landed) for (const record of chunk) this.#unwrittenKeys.hold(record, "durable");
      }),
    ]);
    const keyed = records.filter((record) => record.dedup !== undefined);
    await Promise.all(
      skippedRuns(records, (subject) => headsBefore.get(subject) ?? 0).map((run) =>
        this.#execute("append", this.#cql.insertSkipped, [
          run.subject,
          BigInt(run.firstId),
          BigInt(run.lastId),
        ]),
      ),
    );
    // Keys only after their messages: a key without its message would answer
    // a retry with the id of a message that was never stored.
    await Promise.all([
      ...Array.from(headsOf(records), ([subject, id]) =>
        this.#execute("append", this.#cql.advanceHead, [BigInt(id), BigInt(id), subject]),
      ),
      ...records.flatMap(({ subject, id, dedup }) =>
        dedup === undefined
          ? []
          : [
              this.#execute("append", this.#cql.insertIdempotencyKey, [
                subject,
                dedup.key,
                BigInt(id),
                BigInt(dedup.untilMs),
                keyTtlSeconds(dedup.untilMs, nowMs),
              ]),
            ],
      ),
      // Earlier keys are written on the side: their failing again must not fail this batch.
      this.#writeHeldKeys(earlier, nowMs).catch(() => undefined),
    ]);
    for (const record of keyed) this.#unwrittenKeys.release(record);
  }

  /** Keys held from earlier writes whose rows landed and whose keys did not: written again. */
  async #writeHeldKeys(held: readonly KeyedRecord[], nowMs: number): Promise<void> {
    await Promise.all(
      held.map(async (record) => {
        const { subject, id, dedup } = record;
        await this.#execute("append", this.#cql.insertIdempotencyKey, [
          subject,
          dedup.key,
          BigInt(id),
          BigInt(dedup.untilMs),
          keyTtlSeconds(dedup.untilMs, nowMs),
        ]);
        this.#unwrittenKeys.release(record);
      }),
    );
  }

  async idempotentId(subject: string, key: string, nowMs: number): Promise<number | undefined> {
    const held = this.#unwrittenKeys.find(subject, key, nowMs);
    if (held?.row === "durable") return held.id;
    if (held !== undefined) {
      const row = await this.#execute("idempotentId", this.#cql.getMessage, [
        subject,
        BigInt(bucketOf(held.id)),
        BigInt(held.id),
      ]);
      // This process never gives that id out again, so a row there is this message's.
      if (row.first() !== null) return held.id;
    }
    const result = await this.#execute("idempotentId", this.#cql.idempotentId, [subject, key]);
    const row: unknown = result.first();
    if (row === null) return undefined;
    const { id, until_ms } = IdempotencyRowSchema.parse(row);
    return until_ms > nowMs ? id : undefined;
  }

  async get(subject: string, id: number, nowMs: number): Promise<MessageRecord | undefined> {
    const result = await this.#execute("get", this.#cql.getMessage, [
      subject,
      BigInt(bucketOf(id)),
      BigInt(id),
    ]);
    const row: unknown = result.first();
    if (row === null) return undefined;
    const record = recordFromGetRow(subject, id, row);
    return isLive(record, nowMs) ? record : undefined;
  }

  async lastId(subject: string): Promise<number> {
    const row: unknown = (await this.#execute("lastId", this.#cql.lastId, [subject])).first();
    return row === null ? 0 : (LastIdRowSchema.parse(row).last_id ?? 0);
  }

  async skipped(subject: string, id: number): Promise<boolean> {
    const row: unknown = (
      await this.#execute("skipped", this.#cql.skipped, [subject, BigInt(id)])
    ).first();
    return row !== null && (LastIdRowSchema.parse(row).last_id ?? 0) >= id;
  }

  async #heads(subjects: ReadonlySet<string>): Promise<Map<string, number>> {
    const subjectList = [...subjects];
    const heads = await Promise.all(subjectList.map((subject) => this.lastId(subject)));
    return new Map(subjectList.map((subject, index) => [subject, heads[index] ?? 0]));
  }

  /**
   * Walks buckets upward from fromId's. The head bounds the walk, because a
   * bucket whose rows all expired is empty yet later buckets may hold rows.
   */
  async range(
    subject: string,
    fromId: number,
    limit: number,
    nowMs: number,
  ): Promise<MessageRecord[]> {
    if (limit <= 0) return [];
    const last = await this.lastId(subject);
    const found: MessageRecord[] = [];
    let cursor = Math.max(fromId, 0);
    while (found.length < limit && cursor <= last) {
      const requested = limit - found.length;
      const result = await this.#execute("range", this.#cql.rangeOfBucket, [
        subject,
        BigInt(bucketOf(cursor)),
        BigInt(cursor),
        requested,
      ]);
      const records = result.rows.map((row: unknown) => recordFromRangeRow(subject, row));
      for (const record of records) if (isLive(record, nowMs)) found.push(record);
      cursor = nextRangeCursor(cursor, requested, records.length, records.at(-1)?.id);
    }
    return found;
  }

  /** Nothing to do: rows carry a native TTL and Cassandra drops them itself. */
  purgeExpired(): Promise<number> {
    return Promise.resolve(0);
  }

  /** A lightweight transaction, so two brokers creating one group agree on its settings. */
  async createGroup(
    settings: GroupSettings,
  ): Promise<{ settings: GroupSettings; created: boolean }> {
    const { name, pattern, ackWaitMs, maxDeliveries, startId } = settings;
    const row: unknown = (
      await this.#execute("createGroup", this.#groupCql.createGroup, [
        name,
        pattern,
        ackWaitMs,
        maxDeliveries,
        startId,
      ])
    ).first();
    if (AppliedRowSchema.parse(row)["[applied]"]) return { settings, created: true };
    return { settings: groupFromRow(row), created: false };
  }

  async groups(): Promise<GroupSettings[]> {
    return (await this.#allRows("groups", this.#groupCql.groups, [])).map(groupFromRow);
  }

  async groupPositions(group: string): Promise<GroupPosition[]> {
    const [cursors, pending] = await Promise.all([
      this.#allRows("groupPositions", this.#groupCql.cursors, [group]),
      this.#allRows("groupPositions", this.#groupCql.pending, [group]),
    ]);
    return positionsFromRows(cursors, pending);
  }

  /** Each change on its own (they touch many partitions); the driver's client timestamps keep their order. */
  async writeGroupChanges(changes: readonly GroupChange[]): Promise<void> {
    await Promise.all(
      collapseGroupChanges(changes).map((change) =>
        this.#execute("writeGroupChanges", ...changeStatement(this.#groupCql, change)),
      ),
    );
  }

  /** A scan of the head table: one row per subject. */
  async subjects(): Promise<string[]> {
    const rows = await this.#allRows("subjects", this.#groupCql.subjects, []);
    return rows.map((row) => SubjectRowSchema.parse(row).subject);
  }

  async ping(): Promise<void> {
    await this.#execute("ping", "SELECT release_version FROM system.local", []);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.shutdown();
  }

  #ddl(statement: string): Promise<types.ResultSet> {
    return this.#run("schema", () =>
      this.#client.execute(statement, [], { prepare: false, readTimeout: SCHEMA_TIMEOUT_MS }),
    );
  }

  #execute(operation: string, query: string, params: unknown[]): Promise<types.ResultSet> {
    return this.#run(operation, () => this.#client.execute(query, params));
  }

  /** Every row of a query, page by page. */
  #allRows(operation: string, query: string, params: unknown[]): Promise<unknown[]> {
    return this.#run(operation, async () => {
      const rows: unknown[] = [];
      for await (const row of await this.#client.execute(query, params, { fetchSize: 1000 }))
        rows.push(row);
      return rows;
    });
  }

  async #run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError("cassandra store is closed");
    try {
      return await call();
    } catch (err) {
      return rethrowAsStoreError(err, operation);
    }
  }
}

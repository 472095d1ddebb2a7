/**
 * The store backends as integration tests see them: how to build each on the
 * real test servers in a namespace of its own, and how to drop it again.
 */
import { Client as CassandraClient } from "cassandra-driver";
import pg from "pg";
import { expect } from "vitest";
import type { TestEnv } from "../../../testing/test-env.ts";
import { createCassandraStore, type CassandraStoreOptionsInput } from "../cassandra/index.ts";
import { StoreUnavailableError } from "../errors.ts";
import { MemoryStore } from "../memory/memory-store.ts";
import type { MessageRecord, MessageStore } from "../message-store.ts";
import { createPostgresStore, type PostgresStoreOptionsInput } from "../postgres/index.ts";
import { TcpProxy } from "../../../testing/tcp-proxy.ts";

/**
 * Store timeouts short enough that an outage test answers in a few seconds, and long enough for a
 * busy 2-core machine: at a load average of 12, new PostgreSQL connections and a Cassandra batch
 * write of the semantics suite's 2,000-publish burst each passed 1 s.
 */
const FAST_TIMEOUT_MS = 2000;
/** "Quickly": well past the store timeouts above, far short of a hang. */
const QUICK_MS = 6000;

export interface Backend {
  readonly name: string;
  /** Survives close and a new instance (memory does not). */
  readonly durable: boolean;
  /** Expired rows vanish by purgeExpired, or by the server's native TTL. */
  readonly expiry: "purge" | "ttl";
  /** A store on `namespace`, reaching its server on `port` (a proxy) if given. */
  create(namespace: string, port?: number): MessageStore;
  /** The real server, for proxies; undefined for in-process stores. */
  readonly server?: { readonly host: string; readonly port: number };
  drop(namespace: string): Promise<void>;
}

/** A unique, lowercase namespace (schema or keyspace) name for this run. */
export const uniqueNamespace = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${process.pid}`;

export function postgresOptions(
  env: TestEnv,
  namespace: string,
  port?: number,
): PostgresStoreOptionsInput {
  const url = new URL(env.postgres.url);
  if (port !== undefined) url.port = String(port);
  return {
    url: url.toString(),
    schema: namespace,
    connectTimeoutMs: FAST_TIMEOUT_MS,
    statementTimeoutMs: FAST_TIMEOUT_MS,
  };
}

export function cassandraOptions(
  env: TestEnv,
  namespace: string,
  port?: number,
): CassandraStoreOptionsInput {
  return {
    contactPoints: [env.cassandra.contactPoint],
    port: port ?? env.cassandra.port,
    localDataCenter: env.cassandra.localDataCenter,
    keyspace: namespace,
    connectTimeoutMs: FAST_TIMEOUT_MS,
    requestTimeoutMs: FAST_TIMEOUT_MS,
    reconnectBaseDelayMs: 100,
    reconnectMaxDelayMs: 1000,
  };
}

/** Runs `work` with a plain driver client of the test Cassandra, for checks behind the store. */
export async function withCassandraClient<T>(
  env: TestEnv,
  work: (client: CassandraClient) => Promise<T>,
): Promise<T> {
  const client = new CassandraClient({
    contactPoints: [env.cassandra.contactPoint],
    protocolOptions: { port: env.cassandra.port },
    localDataCenter: env.cassandra.localDataCenter,
  });
  try {
    return await work(client);
  } finally {
    await client.shutdown();
  }
}

export function postgresServer(env: TestEnv): { host: string; port: number } {
  const url = new URL(env.postgres.url);
  return { host: url.hostname, port: Number(url.port) };
}

export async function dropPostgresSchema(env: TestEnv, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: env.postgres.url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

export const cassandraServer = (env: TestEnv) => ({
  host: env.cassandra.contactPoint,
  port: env.cassandra.port,
});

export async function dropCassandraKeyspace(env: TestEnv, keyspace: string): Promise<void> {
  await withCassandraClient(env, (client) => client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`));
}

export function storeBackends(env: TestEnv): Backend[] {
  return [
    {
      name: "memory",
      durable: false,
      expiry: "purge",
      create: () => new MemoryStore({ maxMessagesPerSubject: 100_000 }),
      drop: () => Promise.resolve(),
    },
    {
      name: "postgres",
      durable: true,
      expiry: "purge",
      server: postgresServer(env),
      create: (namespace, port) => createPostgresStore(postgresOptions(env, namespace, port)),
      drop: (namespace) => dropPostgresSchema(env, namespace),
    },
    {
      name: "cassandra",
      durable: true,
      expiry: "ttl",
      server: cassandraServer(env),
      create: (namespace, port) => createCassandraStore(cassandraOptions(env, namespace, port)),
      drop: (namespace) => dropCassandraKeyspace(env, namespace),
    },
  ];
}

export const text = (value: string) => new TextEncoder().encode(value);

export function record(
  subject: string,
  id: number,
  expiresAtMs: number | null = null,
): MessageRecord {
  return { subject, id, body: text(`${subject}#${id}`), expiresAtMs };
}

export const ids = (records: readonly MessageRecord[]) => records.map((r) => r.id);

/** Fields compared as plain values, so a Buffer and a Uint8Array of equal bytes match. */
export const plain = (r: MessageRecord | undefined) =>
  r && { subject: r.subject, id: r.id, body: Array.from(r.body), expiresAtMs: r.expiresAtMs };

export async function expectUnavailableQuickly(call: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await expect(call()).rejects.toBeInstanceOf(StoreUnavailableError);
  expect(performance.now() - started).toBeLessThan(QUICK_MS);
}

/**
 * Runs `body` with a store built by `create` that reaches its server through a
 * proxy, after writing record 1 of `subject` through it.
 */
export async function withProxiedStore(
  server: { readonly host: string; readonly port: number },
  create: (port: number) => MessageStore,
  subject: string,
  body: (proxy: TcpProxy, store: MessageStore) => Promise<void>,
): Promise<void> {
  const proxy = await TcpProxy.start(server.host, server.port);
  const store = create(proxy.port);
  try {
    await store.open();
    await store.appendBatch([record(subject, 1)]);
    await body(proxy, store);
  } finally {
    await store.close();
    await proxy.close();
  }
}

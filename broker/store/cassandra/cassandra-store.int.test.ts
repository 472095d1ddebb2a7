/** Cassandra behaviour beyond the shared contract: external schema and native TTL. */
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { StoreUnavailableError } from "../errors.ts";
import type { MessageStore } from "../message-store.ts";
import {
  cassandraOptions,
  dropCassandraKeyspace,
  record,
  uniqueNamespace,
  withCassandraClient,
} from "../test/backends.ts";
import { createCassandraStore } from "./index.ts";

const env = inject("testEnv");
const keyspace = uniqueNamespace("cassstore");
let managed: MessageStore;

beforeAll(async () => {
  managed = createCassandraStore(cassandraOptions(env, keyspace));
  await managed.open();
});

afterAll(async () => {
  await managed.close();
  await dropCassandraKeyspace(env, keyspace);
});

const keyspaceExists = (name: string) =>
  withCassandraClient(env, async (client) => {
    const result = await client.execute(
      "SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?",
      [name],
    );
    return result.rowLength > 0;
  });

it("with manageSchema off, refuses a keyspace without Herald's tables and creates nothing", async () => {
  const missing = `${keyspace}_absent`;
  const store = createCassandraStore({ ...cassandraOptions(env, missing), manageSchema: false });
  try {
    const failure = await store.open().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toContain(missing);
    expect(await keyspaceExists(missing)).toBe(false);
  } finally {
    await store.close();
  }
});

it("with manageSchema off, uses a keyspace provisioned elsewhere", async () => {
  await managed.appendBatch([record("external", 1)]);
  const store = createCassandraStore({ ...cassandraOptions(env, keyspace), manageSchema: false });
  try {
    await store.open();
    expect(await store.lastId("external")).toBe(1);
  } finally {
    await store.close();
  }
});

it("gives expiring rows a native TTL that ends at their expiry, and others none", async () => {
  await managed.appendBatch([record("ttl", 1, Date.now() + 100_000), record("ttl", 2, null)]);
  const ttls = await withCassandraClient(env, async (client) => {
    const result = await client.execute(
      `SELECT id, TTL(body) AS ttl FROM ${keyspace}.messages WHERE subject = ? AND bucket = ?`,
      ["ttl", 0],
      { prepare: true },
    );
    return result.rows.map((row) => [Number(row.get("id")), row.get("ttl") as number | null]);
  });
  expect(ttls).toHaveLength(2);
  const [[, expiring], [, forever]] = ttls as [[number, number | null], [number, number | null]];
  expect(expiring).toBeGreaterThan(90);
  expect(expiring).toBeLessThanOrEqual(100);
  expect(forever).toBeNull();
});

/** PostgreSQL behaviour beyond the shared contract: chunked purge, pool limits, bug vs outage. */
import pg from "pg";
import { afterAll, expect, inject, it } from "vitest";
import { StoreUnavailableError } from "../errors.ts";
import type { MessageStore } from "../message-store.ts";
import {
  dropPostgresSchema,
  expectUnavailableQuickly,
  ids,
  postgresOptions,
  record,
  postgresServer,
  uniqueNamespace,
  withProxiedStore,
} from "../test/backends.ts";
import { createPostgresStore } from "./index.ts";
import type { PostgresStoreOptionsInput } from "./options.ts";

const env = inject("testEnv");
const schema = uniqueNamespace("pgstore");
const opened: MessageStore[] = [];

async function openStore(overrides: Partial<PostgresStoreOptionsInput> = {}, port?: number) {
  const store = createPostgresStore({ ...postgresOptions(env, schema, port), ...overrides });
  opened.push(store);
  await store.open();
  return store;
}

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await dropPostgresSchema(env, schema);
});

it("purges in chunks until nothing expired is left", async () => {
  const store = await openStore({ purgeChunkSize: 2 });
  const expiresAtMs = Date.now() + 600_000;
  await store.appendBatch([
    ...[1, 2, 3, 4, 5].map((id) => record("chunked", id, expiresAtMs)),
    record("chunked", 6),
  ]);
  expect(await store.purgeExpired(expiresAtMs)).toBe(5);
  expect(ids(await store.range("chunked", 1, 10, 0))).toEqual([6]);
});

it("indexes only rows that can expire", async () => {
  await openStore();
  const client = new pg.Client({ connectionString: env.postgres.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2",
      [schema, "herald_messages_expires_at"],
    );
    expect(rows[0]?.indexdef).toMatch(/WHERE \(expires_at IS NOT NULL\)/);
  } finally {
    await client.end();
  }
});

it("answers StoreUnavailableError when every pooled connection is stuck", async () => {
  await withProxiedStore(
    postgresServer(env),
    (port) => createPostgresStore({ ...postgresOptions(env, schema, port), poolSize: 1 }),
    "pool",
    async (proxy, store) => {
      proxy.stall();
      // The one connection hangs on the stalled link; the next caller must not queue forever.
      const stuck = store.get("pool", 1, 0).catch((err: unknown) => err);
      await expectUnavailableQuickly(() => store.lastId("pool"));
      expect(await stuck).toBeInstanceOf(StoreUnavailableError);
      proxy.resume();
    },
  );
});

it("reports a bad batch as the bug it is, not as an outage", async () => {
  const store = await openStore();
  const failure = await store
    .appendBatch([record("bug", 1), record("bug", 1)])
    .catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(pg.DatabaseError);
  expect(failure).not.toBeInstanceOf(StoreUnavailableError);
  await expect(store.ping()).resolves.toBeUndefined();
});

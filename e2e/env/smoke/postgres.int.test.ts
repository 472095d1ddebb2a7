import pg from "pg";
import { afterAll, beforeAll, expect, inject, test } from "vitest";

const { postgres } = inject("testEnv");
const client = new pg.Client({ connectionString: postgres.url });
const table = `smoke_${process.pid}_${Date.now()}`;

beforeAll(() => client.connect());
afterAll(async () => {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.end();
});

test("PostgreSQL creates a table, inserts and selects", async () => {
  await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, body bytea NOT NULL)`);
  await client.query(`INSERT INTO ${table} VALUES ($1, $2), ($3, $4)`, [
    1,
    Buffer.from("one"),
    2,
    Buffer.from("two"),
  ]);
  const rows = await client.query<{ id: number; body: Buffer }>(
    `SELECT id, body FROM ${table} ORDER BY id`,
  );
  expect(rows.rows.map((r) => [r.id, r.body.toString()])).toEqual([
    [1, "one"],
    [2, "two"],
  ]);
  const version = await client.query<{ server_version_num: string }>("SHOW server_version_num");
  expect(Number(version.rows[0]?.server_version_num)).toBeGreaterThanOrEqual(150000);
});

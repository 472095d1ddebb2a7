import { Client } from "cassandra-driver";
import { afterAll, beforeAll, expect, inject, test } from "vitest";

const { cassandra } = inject("testEnv");
const client = new Client({
  contactPoints: [`${cassandra.contactPoint}:${cassandra.port}`],
  localDataCenter: cassandra.localDataCenter,
});
const keyspace = `smoke_${process.pid}_${Date.now()}`;
const prepare = { prepare: true };

beforeAll(() => client.connect());
afterAll(async () => {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  await client.shutdown();
});

test("Cassandra 5.0 creates a keyspace, writes rows and applies a TTL", async () => {
  const version = await client.execute("SELECT release_version FROM system.local");
  expect(version.first().get("release_version")).toMatch(/^5\.0\./);

  await client.execute(
    `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  );
  await client.execute(`CREATE TABLE ${keyspace}.messages (id int PRIMARY KEY, body blob)`);
  const insert = `INSERT INTO ${keyspace}.messages (id, body) VALUES (?, ?)`;
  await client.execute(`${insert} USING TTL 3600`, [1, Buffer.from("expiring")], prepare);
  // A row without a TTL shows that TTL(body) tells the two apart.
  await client.execute(insert, [2, Buffer.from("lasting")], prepare);

  const rs = await client.execute(
    `SELECT id, body, TTL(body) AS ttl FROM ${keyspace}.messages WHERE id IN (1, 2)`,
  );
  const rows = rs.rows
    .map((r): [unknown, unknown, unknown] => [r.get("id"), r.get("body"), r.get("ttl")])
    .sort(([a], [b]) => Number(a) - Number(b));
  expect(rows.map(([id, body]) => [id, body])).toEqual([
    [1, Buffer.from("expiring")],
    [2, Buffer.from("lasting")],
  ]);
  const [expiring, lasting] = rows.map(([, , ttl]) => ttl);
  expect(expiring).toBeGreaterThan(3500);
  expect(expiring).toBeLessThanOrEqual(3600);
  expect(lasting).toBeNull();
});

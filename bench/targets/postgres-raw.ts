/**
 * Storage ceiling: the rows Herald writes (same table, made by Herald's own
 * migrations, in a schema of its own), inserted straight into the same
 * PostgreSQL by one connection in a closed loop — as one multi-row
 * `INSERT … SELECT FROM unnest(…)` per batch, and as one COPY per batch.
 * Plain inserts: no ON CONFLICT and no head-table upsert, which Herald's
 * append also does.
 */
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { postgresStatements } from "../../broker/store/postgres/sql.ts";
import { closedLoop, type ClosedLoopOptions } from "../load/closed-loop.ts";

export interface RawInsertPoint {
  readonly method: "unnest" | "copy";
  readonly batchRows: number;
  readonly bodyBytes: number;
  readonly rowsPerSec: number;
  readonly batches: number;
  readonly durationMs: number;
  readonly errors: number;
}

export async function rawPostgresInserts(
  url: string,
  points: readonly { method: "unnest" | "copy"; batchRows: number; bodyBytes: number }[],
  loop: ClosedLoopOptions,
): Promise<RawInsertPoint[]> {
  const schema = `herald_bench_raw_${Date.now().toString(36)}`;
  const table = `${pg.escapeIdentifier(schema)}.herald_messages`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
    for (const statement of postgresStatements(schema).migrations) await client.query(statement);
    const results: RawInsertPoint[] = [];
    let nextId = 1;
    for (const point of points) {
      const body = Buffer.alloc(point.bodyBytes, 0x61);
      const subject = `raw.${point.method}.${point.batchRows}.${point.bodyBytes}`;
      const insert = async () => {
        const ids = Array.from({ length: point.batchRows }, () => nextId++);
        if (point.method === "unnest") {
          await client.query({
            name: "raw_unnest",
            text: `INSERT INTO ${table} (subject, id, body, expires_at)
              SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::timestamptz[])`,
            values: [ids.map(() => subject), ids, ids.map(() => body), ids.map(() => null)],
          });
        } else {
          const hex = `\\\\x${body.toString("hex")}`;
          const text = ids.map((id) => `${subject}\t${id}\t${hex}\t\\N\n`).join("");
          await pipeline(
            Readable.from([text]),
            client.query(copyFrom(`COPY ${table} (subject, id, body, expires_at) FROM STDIN`)),
          );
        }
      };
      // One connection: the closed loop has a single worker.
      const result = await closedLoop([insert], loop);
      results.push({
        ...point,
        rowsPerSec: result.opsPerSec * point.batchRows,
        batches: result.ops,
        durationMs: result.durationMs,
        errors: result.errors,
      });
      console.error(
        `  postgres raw ${point.method} ${point.batchRows} rows × ${point.bodyBytes} B: ${(result.opsPerSec * point.batchRows).toFixed(0)} rows/s`,
      );
      await client.query(`TRUNCATE ${table}`);
    }
    return results;
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await client.end();
  }
}

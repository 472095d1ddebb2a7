import { z } from "zod";

/** A PostgreSQL identifier we can embed unquoted-safe (it is quoted anyway). */
const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a lowercase SQL identifier of at most 63 characters");

export const PostgresStoreOptionsSchema = z.object({
  /** libpq-style connection URL; may carry credentials, so it is never logged. */
  url: z.string().min(1),
  /** Schema holding Herald's tables; created when missing. */
  schema: identifier.default("public"),
  poolSize: z.number().int().positive().default(10),
  /** Bound on both opening a connection and waiting for a pooled one. */
  connectTimeoutMs: z.number().int().positive().default(2000),
  /** Server-side statement_timeout; the client gives up shortly after it. */
  statementTimeoutMs: z.number().int().positive().default(5000),
  /** Rows deleted per purge statement, so each delete holds its locks briefly. */
  purgeChunkSize: z.number().int().positive().default(5000),
  applicationName: z.string().default("herald-broker"),
});

export type PostgresStoreOptions = z.infer<typeof PostgresStoreOptionsSchema>;
export type PostgresStoreOptionsInput = z.input<typeof PostgresStoreOptionsSchema>;

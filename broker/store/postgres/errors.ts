/**
 * Sorts pg failures into "the store is unreachable or overloaded" (retryable,
 * gRPC UNAVAILABLE) and everything else (a bug: bad SQL, a violated
 * constraint), which keeps its original error.
 */
import pg from "pg";
import { StoreUnavailableError } from "../errors.ts";

/** SQLSTATE classes and codes that mean "try again later", not "this request is wrong". */
const transientSqlStates = [
  /^08/, // connection exception
  /^53/, // insufficient resources (too many connections, disk full, out of memory)
  /^57P0[1-4]$/, // admin/crash shutdown, cannot connect now, database dropped
  /^57014$/, // query_canceled: statement_timeout fired
  /^40001$/, // serialization_failure
  /^40P01$/, // deadlock_detected
  /^55P03$/, // lock_not_available
  /^58/, // system error (I/O)
];

const networkErrorCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

// pg and pg-pool report lost connections and their own timeouts as plain Errors.
const clientSideMessages = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Query read timeout$/,
  /is not queryable$/,
];

export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof pg.DatabaseError) {
    const code = err.code ?? "";
    return transientSqlStates.some((state) => state.test(code));
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && networkErrorCodes.has(code)) return true;
  if (err instanceof AggregateError) return err.errors.some(isTransient);
  return clientSideMessages.some((message) => message.test(err.message));
}

/** Rethrows `err`, as StoreUnavailableError when it is transient. */
export function rethrowAsStoreError(err: unknown, operation: string): never {
  if (isTransient(err)) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreUnavailableError(`postgres ${operation}: ${reason}`, { cause: err });
  }
  throw err;
}

/**
 * Sorts cassandra-driver failures into "the cluster is unreachable, slow or
 * overloaded" (retryable, gRPC UNAVAILABLE) and everything else (bad CQL,
 * missing schema), which keeps its original error.
 */
import { errors, types } from "cassandra-driver";
import { StoreUnavailableError } from "../errors.ts";

const codes = types.responseErrorCodes;
const transientResponseCodes = new Set<number>([
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.writeTimeout,
  codes.readTimeout,
]);

export function isTransient(err: unknown): boolean {
  if (err instanceof errors.NoHostAvailableError) return true;
  if (err instanceof errors.OperationTimedOutError) return true;
  if (err instanceof errors.BusyConnectionError) return true;
  if (err instanceof errors.ResponseError) return transientResponseCodes.has(err.code);
  // A connection that closed under in-flight requests.
  return err instanceof Error && "isSocketError" in err && err.isSocketError === true;
}

/** Rethrows `err`, as StoreUnavailableError when it is transient. */
export function rethrowAsStoreError(err: unknown, operation: string): never {
  if (isTransient(err)) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreUnavailableError(`cassandra ${operation}: ${reason}`, { cause: err });
  }
  throw err;
}

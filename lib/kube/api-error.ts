import { ApiException } from "@kubernetes/client-node";

/** HTTP status of a failed client-node call, when it reached the API server. */
export function statusCodeOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

export const isNotFound = (err: unknown): boolean => statusCodeOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusCodeOf(err) === 409;

/** One line for status messages and logs: the API server's message, never a request body. */
export function describeApiError(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const message = /"message"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text)?.[1];
    return `HTTP ${err.code}: ${message ?? err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

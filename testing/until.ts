import { setTimeout as sleep } from "node:timers/promises";

export interface UntilOptions {
  /** Give up after this long (default 30 s); the probe runs once more at the deadline. */
  timeoutMs?: number;
  /** Pause between probes (default 50 ms). */
  intervalMs?: number;
  /** Give up at once when this aborts (say, a process the wait depends on exited). */
  signal?: AbortSignal;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Polls `probe` until it returns a value other than undefined or false, and returns that value.
 * A probe that throws has not succeeded yet; its last error is quoted if time runs out. Every
 * failure names `what` was awaited.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 50, signal }: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const abandon = (): never => {
    throw new Error(`gave up waiting for ${what}: ${messageOf(signal?.reason)}`, {
      cause: signal?.reason,
    });
  };
  let lastError: unknown;
  for (;;) {
    if (signal?.aborted) abandon();
    const last = Date.now() >= deadline;
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (last) {
      const cause = lastError === undefined ? "" : ` (last error: ${messageOf(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    const pause = Math.min(intervalMs, Math.max(0, deadline - Date.now()));
    await sleep(pause, undefined, { signal }).catch(abandon);
  }
}

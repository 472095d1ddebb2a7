/**
 * Requeue delays with client-go's default controller semantics: the longer of a per-key
 * exponential backoff (failures of one key) and a global token bucket (all retries together).
 */
export interface RateLimiter {
  /** Delay before `key` may be retried; counts one more failure of it. */
  when(key: string): number;
  /** Clear the failure history of `key` (after a successful reconcile). */
  forget(key: string): void;
  /** Failures counted for `key` since it was last forgotten. */
  numRequeues(key: string): number;
}

export interface RateLimiterOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Steady rate of retries across all keys. */
  qps: number;
  /** Retries allowed at once before the rate applies. */
  burst: number;
  now?: () => number;
}

export const defaultRateLimiterOptions: RateLimiterOptions = {
  baseDelayMs: 5,
  maxDelayMs: 1000 * 1000,
  qps: 10,
  burst: 100,
};

/** Doubling delay per key: base, 2·base, 4·base, … capped at max. */
export function itemExponentialLimiter(baseDelayMs: number, maxDelayMs: number): RateLimiter {
  const failures = new Map<string, number>();
  return {
    when(key) {
      const count = failures.get(key) ?? 0;
      failures.set(key, count + 1);
      // Cap the exponent too, so a key failing for days cannot overflow to Infinity.
      return Math.min(baseDelayMs * 2 ** Math.min(count, 62), maxDelayMs);
    },
    forget: (key) => void failures.delete(key),
    numRequeues: (key) => failures.get(key) ?? 0,
  };
}

/**
 * A token bucket that reserves rather than refuses, like golang.org/x/time/rate's Reserve:
 * each call takes a token, possibly going into debt, and waits until the debt is repaid.
 */
export function tokenBucketLimiter(qps: number, burst: number, now: () => number): RateLimiter {
  let tokens = burst;
  let last = now();
  return {
    when() {
      const at = now();
      tokens = Math.min(burst, tokens + ((at - last) / 1000) * qps);
      last = at;
      tokens -= 1;
      return tokens >= 0 ? 0 : (-tokens / qps) * 1000;
    },
    forget: () => undefined,
    numRequeues: () => 0,
  };
}

export function maxOfLimiters(...limiters: RateLimiter[]): RateLimiter {
  return {
    when: (key) => Math.max(...limiters.map((limiter) => limiter.when(key))),
    forget: (key) => limiters.forEach((limiter) => limiter.forget(key)),
    numRequeues: (key) => Math.max(...limiters.map((limiter) => limiter.numRequeues(key))),
  };
}

export function defaultControllerRateLimiter(
  options: RateLimiterOptions = defaultRateLimiterOptions,
): RateLimiter {
  const now = options.now ?? Date.now;
  return maxOfLimiters(
    itemExponentialLimiter(options.baseDelayMs, options.maxDelayMs),
    tokenBucketLimiter(options.qps, options.burst, now),
  );
}

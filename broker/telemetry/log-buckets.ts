/**
 * Log-linear buckets for latency quantiles: an observation is one array increment (no
 * allocation, unlike a t-digest), and a quantile read back is within about 2% of the true
 * value. Each power of two between `minValue` and `minValue · 2^octaves` is split into
 * `perOctave` buckets of equal ratio; values below go to the first bucket, above to the last.
 */
export interface LogBuckets {
  readonly count: number;
  /** The bucket `value` falls in. */
  indexOf(value: number): number;
  /** The value a bucket stands for: the geometric middle of its bounds. */
  valueOf(index: number): number;
}

export function logBuckets(minValue: number, octaves: number, perOctave: number): LogBuckets {
  const count = octaves * perOctave + 2;
  const last = count - 1;
  return {
    count,
    indexOf(value) {
      if (!(value > minValue)) return 0;
      const index = 1 + Math.floor(Math.log2(value / minValue) * perOctave);
      return index < last ? index : last;
    },
    valueOf(index) {
      if (index <= 0) return minValue;
      return minValue * 2 ** ((Math.min(index, last) - 0.5) / perOctave);
    },
  };
}

/**
 * The `q` quantile (0 to 1) of the observations counted in `counts` (indexed as `buckets`),
 * or 0 when there are none.
 */
export function quantileOf(
  buckets: LogBuckets,
  counts: ArrayLike<number>,
  total: number,
  q: number,
): number {
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let index = 0; index < counts.length; index++) {
    seen += counts[index] ?? 0;
    if (seen >= rank) return buckets.valueOf(index);
  }
  return buckets.valueOf(counts.length - 1);
}

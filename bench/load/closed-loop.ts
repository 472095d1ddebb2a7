/**
 * The closed-loop harness every throughput figure uses: `workers` clients, each
 * with one operation in flight, issuing the next as soon as the last one
 * completes. A warm-up is run and discarded, then operations completed inside
 * the measurement window are counted. Bounded by time and by count.
 */
export interface ClosedLoopOptions {
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Stop the window early once this many operations completed. */
  readonly maxOps: number;
  /** Read at the start and end of the window; the difference is reported (server CPU ms). */
  readonly probe?: () => number;
}

export interface ClosedLoopResult {
  readonly ops: number;
  readonly errors: number;
  readonly durationMs: number;
  readonly opsPerSec: number;
  readonly firstError?: string;
  /** probe(end) − probe(start). */
  readonly probed?: number;
}

/** Each worker is one client's operation; `worker(i)` is called with an increasing sequence. */
export async function closedLoop(
  workers: readonly ((seq: number) => Promise<unknown>)[],
  options: ClosedLoopOptions,
): Promise<ClosedLoopResult> {
  let phase: "warmup" | "measure" | "stop" = "warmup";
  let ops = 0;
  let errors = 0;
  let seq = 0;
  let firstError: string | undefined;
  let windowEnd = 0;
  let probeEnd: number | undefined;
  let windowClosed = () => {};
  const closed = new Promise<void>((resolve) => (windowClosed = resolve));
  const endWindow = () => {
    if (phase !== "measure") return;
    phase = "stop";
    windowEnd = performance.now();
    probeEnd = options.probe?.();
    windowClosed();
  };
  const loops = workers.map(async (work) => {
    while (phase !== "stop") {
      const counting = phase === "measure";
      try {
        await work(seq++);
        if (counting && phase === "measure" && ++ops >= options.maxOps) endWindow();
      } catch (err) {
        firstError ??= err instanceof Error ? err.message : String(err);
        if (counting) errors++;
        // Errors are counted, not retried in a tight spin; many of them end the window.
        if (errors > 1000) endWindow();
        await sleep(10);
      }
    }
  });
  await sleep(options.warmupMs);
  phase = "measure";
  const windowStart = performance.now();
  const probeStart = options.probe?.();
  const timer = setTimeout(endWindow, options.durationMs);
  await closed;
  clearTimeout(timer);
  // Operations still in flight finish (every client call has a deadline); they are not counted.
  await Promise.race([Promise.all(loops), sleep(30_000)]);
  const durationMs = windowEnd - windowStart;
  return {
    ops,
    errors,
    durationMs,
    opsPerSec: durationMs > 0 ? (ops * 1000) / durationMs : 0,
    ...(firstError !== undefined ? { firstError } : {}),
    ...(probeStart !== undefined && probeEnd !== undefined
      ? { probed: probeEnd - probeStart }
      : {}),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

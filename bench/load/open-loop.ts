/**
 * Publish→deliver latency at a fixed offered rate, free of coordinated omission:
 * message `seq` is due at `start + seq / rate` whether or not earlier ones were
 * acknowledged, its body carries `seq`, and the subscriber records
 * (delivery time − intended send time) in an HDR histogram. A sender that falls
 * behind (a busy event loop, a full in-flight window) therefore shows up as
 * latency instead of silently lowering the rate.
 */
import { build } from "hdr-histogram-js";
import { sleep } from "./closed-loop.ts";

export interface OpenLoopOptions {
  /** Messages per second offered. */
  readonly rate: number;
  readonly durationMs: number;
  readonly bodyBytes: number;
  /** Publishes outstanding at most; past it sending waits (and that wait counts as latency). */
  readonly maxInFlight: number;
  /** How long to wait for the last deliveries after sending stops. */
  readonly drainMs: number;
}

export interface LatencyResult {
  readonly offeredRate: number;
  readonly durationMs: number;
  readonly sent: number;
  readonly delivered: number;
  readonly publishErrors: number;
  /** Not delivered by the end of the drain: recorded at (end of drain − intended time). */
  readonly missing: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

/** Body of `bytes` bytes (at least 8) whose first 8 bytes are `seq`. */
export function sequencedBody(seq: number, bytes: number): Buffer {
  const body = Buffer.alloc(Math.max(8, bytes), 0x61);
  body.writeDoubleBE(seq, 0);
  return body;
}

export const sequenceOf = (body: Uint8Array): number =>
  Buffer.from(body.buffer, body.byteOffset, body.byteLength).readDoubleBE(0);

/**
 * Runs the open loop. `subscribe` registers a live subscriber that calls
 * `deliver(body)` for each message; `publish` sends one (acknowledged) message.
 */
export async function openLoopLatency(
  options: OpenLoopOptions,
  publish: (body: Buffer, seq: number) => Promise<unknown>,
  subscribe: (deliver: (body: Uint8Array) => void) => Promise<{ close(): unknown }>,
): Promise<LatencyResult> {
  // Microseconds, 3 significant digits, up to an hour.
  const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 3.6e9 });
  const total = Math.max(1, Math.round((options.rate * options.durationMs) / 1000));
  const intervalMs = 1000 / options.rate;
  const received = new Uint8Array(total);
  let delivered = 0;
  let start = 0;
  const intended = (seq: number) => start + seq * intervalMs;

  let allDelivered = () => {};
  const done = new Promise<void>((resolve) => (allDelivered = resolve));
  const subscription = await subscribe((body) => {
    const seq = sequenceOf(body);
    if (!Number.isInteger(seq) || seq < 0 || seq >= total || received[seq] === 1) return;
    received[seq] = 1;
    histogram.recordValue(Math.max(1, Math.round((performance.now() - intended(seq)) * 1000)));
    if (++delivered === total) allDelivered();
  });

  let sent = 0;
  let inFlight = 0;
  let publishErrors = 0;
  start = performance.now();
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
    while (sent < due && inFlight < options.maxInFlight) {
      const seq = sent++;
      inFlight++;
      publish(sequencedBody(seq, options.bodyBytes), seq).then(
        () => inFlight--,
        () => {
          inFlight--;
          publishErrors++;
        },
      );
    }
    // Yield to I/O; timers resolve at about 1 ms, so a few messages go out per tick.
    await sleep(sent < due ? 1 : Math.max(0, Math.min(1, intended(sent) - performance.now())));
  }
  await Promise.race([done, sleep(options.drainMs)]);
  const end = performance.now();
  let missing = 0;
  for (let seq = 0; seq < total; seq++) {
    if (received[seq] === 1) continue;
    missing++;
    histogram.recordValue(Math.max(1, Math.round((end - intended(seq)) * 1000)));
  }
  await subscription.close();
  const ms = (percentile: number) => histogram.getValueAtPercentile(percentile) / 1000;
  const result: LatencyResult = {
    offeredRate: options.rate,
    durationMs: options.durationMs,
    sent,
    delivered,
    publishErrors,
    missing,
    p50Ms: ms(50),
    p99Ms: ms(99),
    p999Ms: ms(99.9),
    maxMs: histogram.maxValue / 1000,
  };
  histogram.destroy();
  return result;
}

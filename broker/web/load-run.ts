/**
 * One load test run by the broker for a console user (broker/README.md#web-console): a Subscribe
 * to the subject, then Publishes at the chosen rate for the chosen time, both through the Broker
 * handlers with the caller's own credential, so the caller needs the `publish` and `subscribe`
 * permissions on the subject. Every body starts with the run's tag and the message's sequence
 * number, so each delivery is matched to its publish: the publish→deliver latency.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { status as grpcStatus } from "@grpc/grpc-js";
import { MessageResponse } from "../api/gen/broker.ts";
import { PeerCallError } from "../errors.ts";
import type { BrokerHandlers } from "../server/broker-service.ts";
import { type CallOrigin, callUnary, openServerStream } from "./in-process-call.ts";
import { loadHeaderBytes, type LoadRequest } from "./load-request.ts";
import { type LoadProgress, type LoadSummary, summarizeLatency } from "./load-stats.ts";

export interface LoadRunEvents {
  /** Subscribed, and the first message is published: the caller may do both. */
  readonly onStarted: () => void;
  /** Once a second. */
  readonly onProgress: (progress: LoadProgress) => void;
  /** Once: the summary, or the first refusal (before onStarted: the caller may not run it). */
  readonly onEnd: (outcome: { summary: LoadSummary } | { error: unknown }) => void;
}

/** Publishes are sent every tick, as many as the rate owes, with at most this many unanswered. */
const tickMs = 20;
const maxInFlight = 64;
/** How long deliveries are awaited after the last publish is answered. */
const drainMs = 5000;

/** Starts the run; the returned function stops it silently (the caller went away). */
export function startLoadRun(
  handlers: Pick<BrokerHandlers, "publish" | "subscribe">,
  request: LoadRequest,
  origin: CallOrigin,
  events: LoadRunEvents,
): () => void {
  const { subject, ratePerSecond, bodyBytes, durationSeconds } = request;
  const total = ratePerSecond * durationSeconds;
  const tag = randomBytes(4).readUInt32BE(0);
  const sentAt = new Float64Array(total);
  const latencies: number[] = [];
  const counts = { sent: 0, published: 0, delivered: 0, inFlight: 0 };
  let second = { published: 0, delivered: 0, latencies: [] as number[] };
  let secondsReported = 0;
  let startedAt = 0;
  let lastActivityAt = 0;
  let drainUntil = Infinity;
  let finished = false;
  const timers: NodeJS.Timeout[] = [];
  let cancelSubscription = () => undefined as void;

  const body = (sequence: number) => {
    const bytes = Buffer.alloc(bodyBytes, 0x2e);
    bytes.writeUInt32BE(tag, 0);
    bytes.writeUInt32BE(sequence, 4);
    return bytes;
  };

  const stop = () => {
    finished = true;
    for (const timer of timers) clearInterval(timer);
    cancelSubscription();
  };
  const report = () => {
    secondsReported++;
    events.onProgress({
      second: secondsReported,
      published: second.published,
      delivered: second.delivered,
      publishedTotal: counts.published,
      deliveredTotal: counts.delivered,
      latencyMs: summarizeLatency(second.latencies),
    });
    second = { published: 0, delivered: 0, latencies: [] };
  };
  const finish = (error?: unknown) => {
    if (finished) return;
    stop();
    if (error !== undefined) return events.onEnd({ error });
    if (second.published + second.delivered > 0) report();
    const seconds = Math.max((lastActivityAt - startedAt) / 1000, 0.001);
    events.onEnd({
      summary: {
        published: counts.published,
        delivered: counts.delivered,
        seconds: Math.round(seconds * 1000) / 1000,
        publishedPerSecond: Math.round(counts.published / seconds),
        deliveredPerSecond: Math.round(counts.delivered / seconds),
        latencyMs: summarizeLatency(latencies),
      },
    });
  };
  const allAnswered = () => counts.sent === total && counts.inFlight === 0;
  const settle = () => {
    if (!allAnswered()) return;
    if (counts.delivered >= counts.published) finish();
    else drainUntil = Math.min(drainUntil, performance.now() + drainMs);
  };

  const publish = (): Promise<void> => {
    const sequence = counts.sent++;
    counts.inFlight++;
    sentAt[sequence] = performance.now();
    const message = { subject, body: body(sequence), expirationSeconds: 0, idempotencyKey: "" };
    return callUnary(handlers.publish, message, origin).then(() => {
      counts.inFlight--;
      counts.published++;
      second.published++;
      lastActivityAt = Math.max(lastActivityAt, performance.now());
    });
  };
  const tick = () => {
    const owed = 1 + Math.floor((ratePerSecond * (performance.now() - startedAt)) / 1000);
    const due = Math.min(total, owed);
    while (!finished && counts.sent < due && counts.inFlight < maxInFlight) {
      publish().then(settle, finish);
    }
  };
  const everySecond = () => {
    report();
    if (performance.now() > drainUntil) finish();
  };
  const receive = (frame: Buffer) => {
    const { body: received } = MessageResponse.decode(frame);
    if (received.length < loadHeaderBytes) return true;
    const bytes = Buffer.from(received.buffer, received.byteOffset, received.length);
    const sequence = bytes.readUInt32BE(4);
    // Another publisher's message on the same subject, or another run's.
    if (bytes.readUInt32BE(0) !== tag || sequence >= counts.sent) return true;
    const now = performance.now();
    const latency = now - (sentAt[sequence] ?? now);
    counts.delivered++;
    second.delivered++;
    second.latencies.push(latency);
    latencies.push(latency);
    lastActivityAt = Math.max(lastActivityAt, now);
    settle();
    return true;
  };

  const subscription = openServerStream<{ subject: string; startId: number }, Buffer>(
    handlers.subscribe,
    { subject, startId: 0 },
    origin,
    {
      onOpen: () => {
        startedAt = performance.now();
        publish().then(() => {
          if (finished) return;
          events.onStarted();
          timers.push(setInterval(tick, tickMs), setInterval(everySecond, 1000));
          settle();
        }, finish);
      },
      onMessage: receive,
      onEnd: (status) =>
        finish(
          new PeerCallError(
            status?.code ?? grpcStatus.UNAVAILABLE,
            status?.details ?? "the subscription of the load test ended",
          ),
        ),
    },
  );
  cancelSubscription = () => subscription.cancel();
  if (finished) subscription.cancel();
  return () => {
    if (!finished) stop();
  };
}

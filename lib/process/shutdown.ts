/**
 * The graceful stop of a Herald process, shared by the broker and the operator: the first
 * SIGTERM (the kubelet) or SIGINT (Ctrl-C) drains, then the process exits 0, or 1 when the
 * drain fails or outlasts its grace period. Both signals need a handler: as PID 1 in a
 * container, a signal without one is ignored.
 */
import type { Logger } from "pino";
import { maxTimerMs } from "./env.ts";

export const drainSignals = ["SIGTERM", "SIGINT"] as const;

export interface DrainOnSignals {
  /** Stops the process's work. */
  drain: () => Promise<void>;
  /** How long the drain may take before the process exits 1 anyway. */
  graceMs: number;
  log: Pick<Logger, "info" | "error">;
  /** Where the signals arrive and how the process ends: the process itself, but for tests. */
  signals?: Pick<NodeJS.EventEmitter, "on">;
  exit?: (code: number) => void;
}

export function drainOnSignals({
  drain,
  graceMs,
  log,
  signals = process,
  exit = (code) => process.exit(code),
}: DrainOnSignals): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // A later signal changes nothing: the drain is under way and the deadline bounds it.
    if (draining) return;
    draining = true;
    log.info({ signal }, "draining");
    // A caller's margin on top of the longest grace must not overflow the timer into 1 ms.
    const deadlineMs = Math.min(graceMs, maxTimerMs);
    setTimeout(() => {
      log.error("drain exceeded the grace period; exiting");
      exit(1);
    }, deadlineMs).unref();
    drain().then(
      () => exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        exit(1);
      },
    );
  };
  for (const signal of drainSignals) signals.on(signal, onSignal);
}

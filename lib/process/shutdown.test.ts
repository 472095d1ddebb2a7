import { EventEmitter } from "node:events";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { maxTimerMs } from "./env.ts";
import { drainOnSignals } from "./shutdown.ts";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A process stand-in: signals to emit, the exit codes and log messages it saw. */
function harness(drain: () => Promise<void>, graceMs = 1_000) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const messages: string[] = [];
  const log = pino({}, { write: (line: string) => messages.push(parseMessage(line)) });
  drainOnSignals({ drain, graceMs, log, signals, exit: (code) => exits.push(code) });
  return { signals, exits, messages };
}

function parseMessage(line: string): string {
  const { msg } = JSON.parse(line) as { msg: string };
  return msg;
}

describe("drainOnSignals", () => {
  it.each(["SIGTERM", "SIGINT"])(
    "drains once on %s and exits 0 when the drain ends",
    async (signal) => {
      const drain = vi.fn(() => Promise.resolve());
      const { signals, exits, messages } = harness(drain);
      signals.emit(signal, signal);
      signals.emit("SIGTERM", "SIGTERM");
      signals.emit("SIGINT", "SIGINT");
      await vi.advanceTimersByTimeAsync(0);
      expect(drain).toHaveBeenCalledTimes(1);
      expect(messages).toEqual(["draining"]);
      expect(exits).toEqual([0]);
    },
  );

  it("exits 1 when the drain fails", async () => {
    const { signals, exits, messages } = harness(() => Promise.reject(new Error("store gone")));
    signals.emit("SIGTERM", "SIGTERM");
    await vi.advanceTimersByTimeAsync(0);
    expect(messages).toEqual(["draining", "shutdown failed"]);
    expect(exits).toEqual([1]);
  });

  it("exits 1 when the drain outlasts the grace period", async () => {
    const { signals, exits, messages } = harness(() => new Promise<void>(() => undefined));
    signals.emit("SIGTERM", "SIGTERM");
    await vi.advanceTimersByTimeAsync(999);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(messages).toEqual(["draining", "drain exceeded the grace period; exiting"]);
    expect(exits).toEqual([1]);
  });

  it("waits the longest a timer holds when the grace period is longer", async () => {
    const { signals, exits } = harness(
      () => new Promise<void>(() => undefined),
      maxTimerMs + 5_000,
    );
    signals.emit("SIGTERM", "SIGTERM");
    await vi.advanceTimersByTimeAsync(maxTimerMs - 1);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
  });
});

import { describe, expect, test } from "vitest";
import { until } from "./until.ts";

describe("until", () => {
  test("returns the probe's first value that is neither undefined nor false", async () => {
    let calls = 0;
    const value = await until("the third call", () => (++calls === 3 ? { calls } : undefined), {
      intervalMs: 1,
    });
    expect(value).toEqual({ calls: 3 });
  });

  test("retries a probe that throws, and names what it awaited and the last error on timeout", async () => {
    let calls = 0;
    const waiting = until(
      "the impossible",
      () => {
        calls++;
        throw new Error(`attempt ${calls}`);
      },
      { timeoutMs: 50, intervalMs: 10 },
    );
    await expect(waiting).rejects.toThrow(
      /^timed out after 50 ms waiting for the impossible \(last error: attempt \d+\)$/,
    );
    expect(calls).toBeGreaterThan(1);
  });

  test("probes once more at the deadline, so a slow interval never skips the last chance", async () => {
    let calls = 0;
    await expect(
      until("the second call", () => ++calls === 2, { timeoutMs: 20, intervalMs: 1_000 }),
    ).resolves.toBe(true);
  });

  test("gives up at once when its signal aborts, naming what it awaited and why", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error("the operator exited")), 20);
    await expect(
      until("the operator to reconcile", () => false, {
        timeoutMs: 10_000,
        intervalMs: 5_000,
        signal: controller.signal,
      }),
    ).rejects.toThrow("gave up waiting for the operator to reconcile: the operator exited");
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { Deadlines } from "./deadlines.ts";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const timedOut = () => new Error("timed out");
const never = () => new Promise<never>(() => undefined);

it("settles a call as it settles, and fails one still running at its own deadline", async () => {
  const deadlines = new Deadlines(100);
  await expect(deadlines.bound(() => Promise.resolve(1), timedOut)).resolves.toBe(1);
  const first = deadlines.bound(never, timedOut);
  const firstOutcome = first.catch((err: unknown) => err);
  await vi.advanceTimersByTimeAsync(60);
  // Started 60 ms later: its deadline is 60 ms after the first one's.
  const second = deadlines.bound(never, timedOut).catch((err: unknown) => err);
  let secondDone = false;
  void second.then(() => (secondDone = true));
  await vi.advanceTimersByTimeAsync(40);
  expect(await firstOutcome).toEqual(new Error("timed out"));
  expect(secondDone).toBe(false);
  await vi.advanceTimersByTimeAsync(60);
  expect(await second).toEqual(new Error("timed out"));
});

it("passes a failure through, and never fails a call that finished, out of order or not", async () => {
  const deadlines = new Deadlines(100);
  let finishSlow!: (value: string) => void;
  const slow = deadlines.bound(
    () => new Promise<string>((resolve) => (finishSlow = resolve)),
    timedOut,
  );
  await expect(deadlines.bound(() => Promise.reject(new Error("boom")), timedOut)).rejects.toThrow(
    "boom",
  );
  await vi.advanceTimersByTimeAsync(50);
  finishSlow("done");
  await expect(slow).resolves.toBe("done");
  await vi.advanceTimersByTimeAsync(200);
  await expect(slow).resolves.toBe("done");
});

import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { defaultControllerRateLimiter, itemExponentialLimiter } from "./rate-limiter.ts";
import { WorkQueue } from "./work-queue.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Keys handed out so far, in order; `get()` promises settle on the microtask queue. */
async function takeAll(queue: WorkQueue, count: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
  }
  return keys;
}

describe("deduplication", () => {
  test("a key added many times while pending is handed out once", async () => {
    const queue = new WorkQueue();
    queue.add("ns/a");
    queue.add("ns/b");
    queue.add("ns/a");
    queue.add("ns/a");
    expect(queue.depth).toBe(2);
    expect(await takeAll(queue, 2)).toEqual(["ns/a", "ns/b"]);
    expect(queue.depth).toBe(0);
  });

  test("keys are handed out in first-added order", async () => {
    const queue = new WorkQueue();
    for (const key of ["c", "a", "b", "a"]) queue.add(key);
    expect(await takeAll(queue, 3)).toEqual(["c", "a", "b"]);
  });
});

describe("per-key serialization", () => {
  test("a key re-added while processing waits until done, then comes back once", async () => {
    const queue = new WorkQueue();
    queue.add("k");
    const first = await queue.get();
    expect(first).toBe("k");

    queue.add("k");
    queue.add("k");
    expect(queue.depth).toBe(0);
    const second = queue.get();
    let handedOut = false;
    void second.then(() => (handedOut = true));
    await vi.advanceTimersByTimeAsync(10);
    expect(handedOut).toBe(false);

    queue.done("k");
    expect(await second).toBe("k");
    queue.done("k");
    expect(queue.depth).toBe(0);
  });

  test("two workers never hold the same key", async () => {
    const queue = new WorkQueue();
    const held = new Set<string>();
    let overlaps = 0;
    const worker = async () => {
      for (;;) {
        const key = await queue.get();
        if (key === undefined) return;
        if (held.has(key)) overlaps++;
        held.add(key);
        await new Promise((resolve) => setTimeout(resolve, 5));
        held.delete(key);
        queue.done(key);
      }
    };
    const workers = [worker(), worker(), worker()];
    for (let i = 0; i < 20; i++) {
      queue.add("hot");
      queue.add(`cold-${i % 3}`);
      await vi.advanceTimersByTimeAsync(2);
    }
    await vi.advanceTimersByTimeAsync(100);
    const drained = queue.shutDownWithDrain();
    await vi.advanceTimersByTimeAsync(100);
    await drained;
    await Promise.all(workers);
    expect(overlaps).toBe(0);
  });

  test("a waiting worker is woken by an add", async () => {
    const queue = new WorkQueue();
    const pending = queue.get();
    queue.add("late");
    expect(await pending).toBe("late");
  });
});

describe("delayed adds", () => {
  test("addAfter adds the key once the delay has passed", async () => {
    const queue = new WorkQueue();
    queue.addAfter("k", 1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(queue.depth).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(queue.depth).toBe(1);
  });

  test("the earliest of several delays for one key wins, and the key comes once", async () => {
    const queue = new WorkQueue();
    queue.addAfter("k", 5000);
    queue.addAfter("k", 100);
    queue.addAfter("k", 3000);
    await vi.advanceTimersByTimeAsync(100);
    expect(queue.depth).toBe(1);
    expect(await queue.get()).toBe("k");
    queue.done("k");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(queue.depth).toBe(0);
  });

  test("a zero or negative delay adds at once", () => {
    const queue = new WorkQueue();
    queue.addAfter("a", 0);
    queue.addAfter("b", -5);
    expect(queue.depth).toBe(2);
  });
});

describe("rate-limited requeue", () => {
  test("per-key backoff doubles from 5 ms and is reset by forget", async () => {
    const queue = new WorkQueue();
    const expected = [5, 10, 20, 40, 80];
    for (const delay of expected) {
      queue.addRateLimited("k");
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(queue.depth).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(queue.depth).toBe(1);
      expect(await queue.get()).toBe("k");
      queue.done("k");
    }
    expect(queue.numRequeues("k")).toBe(5);

    queue.forget("k");
    expect(queue.numRequeues("k")).toBe(0);
    queue.addRateLimited("k");
    await vi.advanceTimersByTimeAsync(5);
    expect(queue.depth).toBe(1);
  });

  test("backoff of one key does not slow another", async () => {
    const queue = new WorkQueue();
    for (let i = 0; i < 6; i++) {
      queue.addRateLimited("failing");
      await vi.advanceTimersByTimeAsync(1000);
      queue.done((await queue.get()) ?? "");
    }
    queue.addRateLimited("failing");
    queue.addRateLimited("fresh");
    await vi.advanceTimersByTimeAsync(5);
    expect(queue.depth).toBe(1);
    expect(await queue.get()).toBe("fresh");
  });

  test("per-key backoff is capped near 1000 s", () => {
    const limiter = itemExponentialLimiter(5, 1_000_000);
    let last = 0;
    for (let i = 0; i < 100; i++) last = limiter.when("k");
    expect(last).toBe(1_000_000);
  });

  test("the global bucket allows a burst of 100, then 10 per second", () => {
    const limiter = defaultControllerRateLimiter({
      baseDelayMs: 5,
      maxDelayMs: 1_000_000,
      qps: 10,
      burst: 100,
      now: Date.now,
    });
    // Distinct keys: each has a 5 ms per-key delay, so only the bucket can push it higher.
    const delays = Array.from({ length: 102 }, (_, i) => limiter.when(`key-${i}`));
    expect(delays.slice(0, 100).every((delay) => delay === 5)).toBe(true);
    expect(delays[100]).toBeCloseTo(100);
    expect(delays[101]).toBeCloseTo(200);

    vi.advanceTimersByTime(10_000);
    expect(limiter.when("after-refill")).toBe(5);
  });
});

describe("shutdown", () => {
  test("drains queued and in-flight keys, refuses new ones, then releases waiting workers", async () => {
    const queue = new WorkQueue();
    queue.add("a");
    queue.add("b");
    const inFlight = await queue.get();
    expect(inFlight).toBe("a");

    let drained = false;
    const drain = queue.shutDownWithDrain().then(() => (drained = true));
    queue.add("refused");
    queue.addAfter("refused-later", 10);
    await vi.advanceTimersByTimeAsync(20);
    expect(drained).toBe(false);

    expect(await queue.get()).toBe("b");
    queue.done("b");
    expect(drained).toBe(false);
    queue.done("a");
    await drain;
    expect(drained).toBe(true);
    expect(await queue.get()).toBeUndefined();
  });

  test("drops delayed adds and wakes idle workers with undefined", async () => {
    const queue = new WorkQueue();
    queue.addAfter("later", 1000);
    const idle = queue.get();
    await queue.shutDownWithDrain();
    expect(await idle).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2000);
    expect(queue.depth).toBe(0);
  });

  test("a key re-added while processing before shutdown is still processed", async () => {
    const queue = new WorkQueue();
    queue.add("k");
    await queue.get();
    queue.add("k");
    const drain = queue.shutDownWithDrain();
    queue.done("k");
    expect(await queue.get()).toBe("k");
    queue.done("k");
    await drain;
  });
});

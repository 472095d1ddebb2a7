import { afterEach, describe, expect, it, vi } from "vitest";
import { type BatchReport, GroupCommitBatcher, type GroupCommitOptions } from "./group-commit.ts";

/** A store write the test completes by hand, recording every batch it was given. */
function controlledWrites() {
  const batches: string[][] = [];
  const pending: { resolve: () => void; reject: (err: Error) => void }[] = [];
  const write = (items: readonly string[]) => {
    batches.push([...items]);
    return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
  };
  const next = () => {
    const head = pending.shift();
    if (!head) throw new Error("no write in flight");
    return head;
  };
  return { batches, write, next, inFlight: () => pending.length };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function batcher(
  options: Partial<GroupCommitOptions<string>> & Pick<GroupCommitOptions<string>, "write">,
) {
  return new GroupCommitBatcher<string>({ maxSize: 100, maxDelayMs: 0, ...options });
}

describe("GroupCommitBatcher", () => {
  afterEach(() => vi.useRealTimers());

  it("writes a lone submission at once: idle latency is one write", async () => {
    const writes = controlledWrites();
    const b = batcher({ write: writes.write, maxDelayMs: 1_000 });
    const done = b.submit("a");
    await settle();
    expect(writes.batches).toEqual([["a"]]);
    writes.next().resolve();
    await expect(done).resolves.toBeUndefined();
  });

  it("coalesces submissions that arrive while a write is in flight into the next write", async () => {
    const writes = controlledWrites();
    const b = batcher({ write: writes.write });
    const first = b.submit("a");
    await settle();
    const rest = ["b", "c", "d"].map((item) => b.submit(item));
    await settle();
    expect(writes.batches).toEqual([["a"]]);
    expect(writes.inFlight()).toBe(1);
    writes.next().resolve();
    await first;
    await settle();
    expect(writes.batches).toEqual([["a"], ["b", "c", "d"]]);
    writes.next().resolve();
    await Promise.all(rest);
  });

  it("acknowledges nothing before its write resolves", async () => {
    const writes = controlledWrites();
    const b = batcher({ write: writes.write });
    let acknowledged = false;
    const done = b.submit("a").then(() => (acknowledged = true));
    await settle();
    expect(acknowledged).toBe(false);
    writes.next().resolve();
    await done;
    expect(acknowledged).toBe(true);
  });

  it("never puts more than maxSize weight in one write", async () => {
    const writes = controlledWrites();
    const b = batcher({ write: writes.write, maxSize: 2 });
    const all = ["a", "b", "c", "d", "e", "f"].map((item) => b.submit(item));
    for (let i = 0; i < 4; i += 1) {
      await settle();
      writes.next().resolve();
    }
    await Promise.all(all);
    expect(writes.batches).toEqual([["a"], ["b", "c"], ["d", "e"], ["f"]]);
  });

  it("sends a submission heavier than maxSize alone", async () => {
    const writes = controlledWrites();
    const b = batcher({ write: writes.write, maxSize: 3, weight: (item) => item.length });
    const first = b.submit("x");
    await settle();
    const rest = ["y", "zzzzz", "w"].map((item) => b.submit(item));
    for (let i = 0; i < 4; i += 1) {
      await settle();
      writes.next().resolve();
    }
    await Promise.all([first, ...rest]);
    expect(writes.batches).toEqual([["x"], ["y"], ["zzzzz"], ["w"]]);
  });

  it("fails exactly the submissions of a failed write", async () => {
    const writes = controlledWrites();
    const reports: BatchReport[] = [];
    const b = batcher({ write: writes.write, onBatch: (report) => reports.push(report) });
    const first = b.submit("a");
    await settle();
    const second = [b.submit("b"), b.submit("c")];
    const failure = new Error("disk on fire");
    writes.next().reject(failure);
    await expect(first).rejects.toBe(failure);
    await settle();
    const third = b.submit("d");
    writes.next().resolve();
    await expect(Promise.all(second)).resolves.toEqual([undefined, undefined]);
    await settle();
    writes.next().resolve();
    await expect(third).resolves.toBeUndefined();
    expect(writes.batches).toEqual([["a"], ["b", "c"], ["d"]]);
    expect(reports.map(({ items, ok }) => ({ items, ok }))).toEqual([
      { items: 1, ok: false },
      { items: 2, ok: true },
      { items: 1, ok: true },
    ]);
  });

  it("fails a batch whose write throws synchronously, and keeps going", async () => {
    let calls = 0;
    const b = batcher({
      write: () => {
        calls += 1;
        if (calls === 1) throw new Error("sync boom");
        return Promise.resolve();
      },
    });
    await expect(b.submit("a")).rejects.toThrow("sync boom");
    await expect(b.submit("b")).resolves.toBeUndefined();
  });

  it("lingers up to maxDelayMs after a write to gather a bigger batch, unless the batch fills", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const writes = controlledWrites();
    const b = batcher({ write: writes.write, maxSize: 3, maxDelayMs: 50 });
    void b.submit("a");
    await vi.advanceTimersByTimeAsync(0);
    void b.submit("b");
    writes.next().resolve();
    await vi.advanceTimersByTimeAsync(10);
    expect(writes.batches).toEqual([["a"]]);
    void b.submit("c");
    await vi.advanceTimersByTimeAsync(39);
    expect(writes.batches).toEqual([["a"]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes.batches).toEqual([["a"], ["b", "c"]]);
    writes.next().resolve();
    await vi.advanceTimersByTimeAsync(0);
    void b.submit("d");
    await vi.advanceTimersByTimeAsync(0);
    void b.submit("e");
    writes.next().resolve();
    await vi.advanceTimersByTimeAsync(1);
    void b.submit("f");
    void b.submit("g");
    await vi.advanceTimersByTimeAsync(0);
    expect(writes.batches).toEqual([["a"], ["b", "c"], ["d"], ["e", "f", "g"]]);
  });

  it("flush writes what is queued without lingering and resolves when all is written", async () => {
    const writes = controlledWrites();
    const b = batcher({ write: writes.write, maxDelayMs: 60_000 });
    const items = [b.submit("a")];
    await settle();
    items.push(b.submit("b"));
    writes.next().resolve();
    let flushed = false;
    const flushing = b.flush().then(() => (flushed = true));
    await settle();
    expect(writes.batches).toEqual([["a"], ["b"]]);
    expect(flushed).toBe(false);
    writes.next().resolve();
    await flushing;
    await Promise.all(items);
    await expect(b.flush()).resolves.toBeUndefined();
  });
});

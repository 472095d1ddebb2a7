import { afterEach, describe, expect, it, vi } from "vitest";
import { StoreUnavailableError } from "./errors.ts";
import { MemoryStore } from "./memory/memory-store.ts";
import type { MessageRecord, MessageStore } from "./message-store.ts";
import { StoreGuard } from "./store-guard.ts";
import { until } from "../../testing/until.ts";

/** A memory store whose reachability the test switches; while unreachable, calls hang or fail. */
class FlakyStore extends MemoryStore {
  mode: "up" | "refusing" | "hanging" = "up";
  refusal = "connection refused";
  opens = 0;

  constructor() {
    super({ maxMessagesPerSubject: 100 });
  }

  override open(): Promise<void> {
    this.opens += 1;
    return this.#reachable(() => super.open());
  }

  override ping(): Promise<void> {
    return this.#reachable(() => super.ping());
  }

  override lastId(subject: string): Promise<number> {
    return this.#reachable(() => super.lastId(subject));
  }

  #reachable<T>(run: () => Promise<T>): Promise<T> {
    if (this.mode === "refusing") return Promise.reject(new StoreUnavailableError(this.refusal));
    if (this.mode === "hanging") return new Promise<T>(() => undefined);
    return run();
  }
}

const guards: StoreGuard[] = [];
function guard(store: MessageStore, changes: boolean[] = []) {
  const created = new StoreGuard(store, {
    timeoutMs: 50,
    probeIntervalMs: 10,
    onAvailabilityChange: (available) => changes.push(available),
  });
  guards.push(created);
  return created;
}

describe("StoreGuard", () => {
  afterEach(async () => {
    await Promise.all(guards.splice(0).map((g) => g.close()));
  });

  it("is unavailable until the store opens, retrying the open in the background", async () => {
    const store = new FlakyStore();
    store.mode = "refusing";
    const changes: boolean[] = [];
    const g = guard(store, changes);
    g.start();
    await expect(g.lastId("a")).rejects.toThrow(StoreUnavailableError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.opens).toBeGreaterThan(1);
    store.mode = "up";
    await g.waitUntilAvailable();
    expect(g.available).toBe(true);
    await expect(g.lastId("a")).resolves.toBe(0);
    // The first failed open is a change to down, as a store lost later would be.
    expect(changes).toEqual([false, true]);
  });

  it("says why it is unavailable, from the first failed open until the store answers", async () => {
    const store = new FlakyStore();
    store.mode = "refusing";
    store.refusal = 'database "herald" does not exist';
    const causes: unknown[] = [];
    const g = new StoreGuard(store, {
      timeoutMs: 50,
      probeIntervalMs: 10,
      onAvailabilityChange: (available, cause) => {
        if (!available) causes.push(cause);
      },
    });
    guards.push(g);
    expect(g.unavailableReason).toBe("store not opened yet");
    g.start();
    await until("the first failed open", () => causes.length === 1);
    expect(g.unavailableReason).toBe('database "herald" does not exist');
    store.refusal = "connect ECONNREFUSED 127.0.0.1:5432";
    await until("the latest failure", () => g.unavailableReason?.includes("ECONNREFUSED") === true);
    store.mode = "up";
    await g.waitUntilAvailable();
    expect(g.unavailableReason).toBeUndefined();
    expect(causes).toHaveLength(1);
  });

  it("reports a store that stays down at a bounded rate", async () => {
    const store = new FlakyStore();
    store.mode = "refusing";
    const reports: unknown[] = [];
    const downs: unknown[] = [];
    const g = new StoreGuard(store, {
      timeoutMs: 50,
      probeIntervalMs: 5,
      onAvailabilityChange: (available, cause) => {
        if (!available) downs.push(cause);
      },
      onStillUnavailable: { intervalMs: 100, report: (cause) => reports.push(cause) },
    });
    guards.push(g);
    vi.useFakeTimers();
    try {
      g.start();
      await vi.advanceTimersByTimeAsync(350);
    } finally {
      vi.useRealTimers();
    }
    expect(store.opens).toBe(71);
    expect(downs).toHaveLength(1);
    // The down at 0 ms, then one report each 100 ms, however many probes failed.
    expect(reports).toHaveLength(3);
    expect(reports[0]).toBeInstanceOf(StoreUnavailableError);
  });

  it("leaves credentials out of the reason a driver gives", async () => {
    const store = new FlakyStore();
    store.mode = "refusing";
    store.refusal = "cannot reach postgres://app:hunter2@db.internal:5432/herald\n(retrying)";
    const g = guard(store);
    g.start();
    await until("the first failed open", () => g.unavailableReason !== "store not opened yet");
    expect(g.unavailableReason).toBe("cannot reach postgres://db.internal:5432/herald (retrying)");
  });

  it("times out a hanging call, then fails fast until a probe succeeds", async () => {
    const store = new FlakyStore();
    const changes: boolean[] = [];
    const g = guard(store, changes);
    await g.open();
    store.mode = "hanging";
    await expect(g.lastId("a")).rejects.toThrow(/timed out after 50 ms/);
    expect(g.available).toBe(false);
    const started = performance.now();
    await expect(g.lastId("a")).rejects.toThrow(/unreachable/);
    expect(performance.now() - started).toBeLessThan(50);
    store.mode = "up";
    await g.waitUntilAvailable();
    await expect(g.lastId("a")).resolves.toBe(0);
    expect(changes).toEqual([true, false, true]);
  });

  it("passes other errors through without marking the store down", async () => {
    const store = new FlakyStore();
    const g = guard(store);
    await g.open();
    store.lastId = () => Promise.reject(new TypeError("bug"));
    await expect(g.lastId("a")).rejects.toThrow(TypeError);
    expect(g.available).toBe(true);
  });

  it("lets a background purge run past the call timeout without marking the store down", async () => {
    const store = new FlakyStore();
    const g = guard(store);
    await g.open();
    store.purgeExpired = () => new Promise((resolve) => setTimeout(() => resolve(3), 120));
    await expect(g.purgeExpired(Date.now())).resolves.toBe(3);
    expect(g.available).toBe(true);
  });

  it("never opens twice at once when an open outlives its timeout", async () => {
    const store = new FlakyStore();
    store.mode = "hanging";
    const g = guard(store);
    g.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(store.opens).toBe(1);
  });

  it("answers a repeated key only once a write that outlived its timeout has settled", async () => {
    /** Lands every batch 200 ms late, past the guard's 50 ms timeout. */
    class LateStore extends MemoryStore {
      override async appendBatch(records: readonly MessageRecord[]): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 200));
        await super.appendBatch(records);
      }
    }
    const g = guard(new LateStore({ maxMessagesPerSubject: 100 }));
    await g.open();
    const record = {
      subject: "orders",
      id: 1,
      body: Buffer.from("once"),
      expiresAtMs: null,
      dedup: { key: "k1", untilMs: Date.now() + 60_000 },
    };
    await expect(g.appendBatch([record])).rejects.toThrow(/timed out/);
    // Every lookup until the write lands is refused or waits; none may say the key is unknown.
    const answers: (number | undefined | "refused")[] = [];
    const deadline = Date.now() + 1_000;
    while (answers.at(-1) !== 1 && Date.now() < deadline) {
      answers.push(
        await g.idempotentId("orders", "k1", Date.now()).catch(() => "refused" as const),
      );
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(answers).not.toContain(undefined);
    expect(answers.at(-1)).toBe(1);
  });
});

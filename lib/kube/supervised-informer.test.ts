import type { KubernetesObject } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  SupervisedInformer,
  type ListWatchLike,
  type SupervisionOptions,
} from "./supervised-informer.ts";

const log = pino({ level: "silent" });

/** Stands in for client-node's ListWatch: lists `server` objects on start, as it does. */
class FakeListWatch implements ListWatchLike<KubernetesObject> {
  static server = new Map<string, KubernetesObject>();
  static failNextStarts = 0;
  /** Never resolve start(): a list that hangs. */
  static hangStarts = false;
  readonly objects = new Map<string, KubernetesObject>();
  readonly callbacks = new Map<string, ((arg: never) => void)[]>();
  starts = 0;
  stopped = false;

  on(verb: string, cb: (arg: never) => void): void {
    this.callbacks.set(verb, [...(this.callbacks.get(verb) ?? []), cb]);
  }
  off(): void {}

  emit(verb: string, arg?: unknown): void {
    for (const cb of this.callbacks.get(verb) ?? []) (cb as (arg: unknown) => void)(arg);
  }

  async start(): Promise<void> {
    this.starts++;
    this.stopped = false;
    if (FakeListWatch.hangStarts) return new Promise(() => undefined);
    await Promise.resolve();
    this.emit("connect");
    if (FakeListWatch.failNextStarts > 0) {
      FakeListWatch.failNextStarts--;
      this.emit("error", new Error("connection refused"));
      return;
    }
    for (const [name, object] of FakeListWatch.server) {
      if (!this.objects.has(name)) {
        this.objects.set(name, object);
        this.emit("add", object);
      }
    }
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  get(name: string): KubernetesObject | undefined {
    return this.objects.get(name);
  }

  list(): readonly KubernetesObject[] {
    return [...this.objects.values()];
  }
}

const object = (name: string): KubernetesObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "ns" },
});

const options: SupervisionOptions = {
  restartBaseDelayMs: 1000,
  restartMaxDelayMs: 8000,
  resyncPeriodMs: 60_000,
  watchdogMs: 20_000,
  random: () => 0.5, // no jitter
};

let created: FakeListWatch[];
let changes: string[];

function supervised(
  overrides: Partial<SupervisionOptions> = {},
  indexBy?: (object: KubernetesObject) => string | undefined,
): SupervisedInformer<KubernetesObject> {
  return new SupervisedInformer(
    "configmaps",
    () => {
      const informer = new FakeListWatch();
      created.push(informer);
      return informer;
    },
    (changed) => changes.push(changed.metadata?.name ?? ""),
    log,
    { ...options, ...overrides },
    indexBy,
  );
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeListWatch.server = new Map([["a", object("a")]]);
  FakeListWatch.failNextStarts = 0;
  FakeListWatch.hangStarts = false;
  created = [];
  changes = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe("SupervisedInformer", () => {
  test("syncs, serves the cache and reports changes", async () => {
    const informer = supervised();
    await informer.start();
    expect(informer.synced).toBe(true);
    expect(informer.get("a", "ns")?.metadata?.name).toBe("a");
    expect(changes).toEqual(["a"]);
    await informer.stop();
  });

  test("an informer that stops on an error is restarted with doubling backoff", async () => {
    FakeListWatch.failNextStarts = 3;
    const informer = supervised();
    await informer.start();
    expect(informer.synced).toBe(false);
    const [only] = created;

    await vi.advanceTimersByTimeAsync(999);
    expect(only?.starts).toBe(1);
    await vi.advanceTimersByTimeAsync(1); // 1 s
    expect(only?.starts).toBe(2);
    await vi.advanceTimersByTimeAsync(2000); // then 2 s
    expect(only?.starts).toBe(3);
    await vi.advanceTimersByTimeAsync(3999);
    expect(only?.starts).toBe(3);
    await vi.advanceTimersByTimeAsync(1); // then 4 s, and it succeeds
    expect(only?.starts).toBe(4);
    expect(informer.synced).toBe(true);
    expect(created).toHaveLength(1);

    // The backoff was reset by the success: a later error restarts after 1 s again.
    only?.emit("error", new Error("stream reset"));
    await vi.advanceTimersByTimeAsync(1000);
    expect(only?.starts).toBe(5);
    await informer.stop();
  });

  test("a periodic relist swaps in a fresh cache and reports objects deleted while unobserved", async () => {
    const informer = supervised({ watchdogMs: 600_000 });
    await informer.start();
    FakeListWatch.server = new Map([["b", object("b")]]); // "a" deleted, event missed
    changes = [];

    await vi.advanceTimersByTimeAsync(60_000);
    expect(created).toHaveLength(2);
    expect(created[0]?.stopped).toBe(true);
    expect(informer.get("a", "ns")).toBeUndefined();
    expect(informer.get("b", "ns")).toBeDefined();
    expect(changes.sort()).toEqual(["a", "b"]);
    await informer.stop();
  });

  test("a failed relist keeps the current cache", async () => {
    const informer = supervised({ watchdogMs: 600_000 });
    await informer.start();
    FakeListWatch.failNextStarts = 1;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(created).toHaveLength(2);
    expect(created[1]?.stopped).toBe(true);
    expect(informer.get("a", "ns")).toBeDefined();
    await informer.stop();
  });

  test("a silent informer is replaced by the watchdog; a talking one is not", async () => {
    const informer = supervised();
    await informer.start();
    const first = created[0];

    // Life signs (events or reconnects) keep it.
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(10_000);
      first?.emit("connect");
    }
    expect(created).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(25_000);
    expect(created).toHaveLength(2);
    expect(first?.stopped).toBe(true);
    await informer.stop();
  });

  test("a list that hangs forever is replaced by the watchdog", async () => {
    FakeListWatch.hangStarts = true;
    const informer = supervised();
    void informer.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(informer.synced).toBe(false);

    FakeListWatch.hangStarts = false;
    await vi.advanceTimersByTimeAsync(25_000);
    expect(informer.synced).toBe(true);
    expect(informer.get("a", "ns")).toBeDefined();
    await informer.stop();
  });

  test("events from a stopped informer are ignored", async () => {
    const informer = supervised();
    await informer.start();
    await informer.stop();
    changes = [];
    created[0]?.emit("add", object("late"));
    created[0]?.emit("error", new Error("aborted"));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(changes).toEqual([]);
    expect(created[0]?.starts).toBe(1);
  });

  describe("index", () => {
    const labelled = (name: string, team: string): KubernetesObject => ({
      ...object(name),
      metadata: { name, namespace: "ns", labels: { team } },
    });
    const byTeam = (o: KubernetesObject) => o.metadata?.labels?.team;
    const names = (objects: KubernetesObject[]) => objects.map((o) => o.metadata?.name).sort();

    test("follows adds, updates and deletes", async () => {
      FakeListWatch.server = new Map([
        ["a", labelled("a", "red")],
        ["b", labelled("b", "red")],
        ["c", object("c")],
      ]);
      const informer = supervised({}, byTeam);
      await informer.start();
      expect(names(informer.indexed("red"))).toEqual(["a", "b"]);

      const [watch] = created;
      const moved = labelled("b", "blue");
      watch?.objects.set("b", moved);
      watch?.emit("update", moved);
      expect(names(informer.indexed("red"))).toEqual(["a"]);
      expect(names(informer.indexed("blue"))).toEqual(["b"]);

      watch?.objects.delete("a");
      watch?.emit("delete", labelled("a", "red"));
      expect(informer.indexed("red")).toEqual([]);
      await informer.stop();
    });

    test("a relist swaps in the fresh cache's index with it", async () => {
      FakeListWatch.server = new Map([["a", labelled("a", "red")]]);
      const informer = supervised({ watchdogMs: 600_000 }, byTeam);
      await informer.start();
      // "a" moved and "b" appeared while their events were missed.
      FakeListWatch.server = new Map([
        ["a", labelled("a", "blue")],
        ["b", labelled("b", "red")],
      ]);

      await vi.advanceTimersByTimeAsync(60_000);
      expect(created).toHaveLength(2);
      expect(names(informer.indexed("red"))).toEqual(["b"]);
      expect(names(informer.indexed("blue"))).toEqual(["a"]);
      await informer.stop();
    });

    test("without indexBy nothing is indexed", async () => {
      const informer = supervised();
      await informer.start();
      expect(informer.indexed("red")).toEqual([]);
      await informer.stop();
    });
  });
});

/**
 * The MessageStore contract, run against every backend on real servers
 * (docs/architecture.md#storage-and-group-commit). Each run works in its own PostgreSQL schema and Cassandra
 * keyspace, dropped afterwards, so runs never see each other's data.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { MessageRecord, MessageStore } from "./message-store.ts";
import {
  type Backend,
  expectUnavailableQuickly,
  ids,
  plain,
  record,
  storeBackends,
  text,
  uniqueNamespace,
  withProxiedStore,
} from "./test/backends.ts";
import { TcpProxy } from "../../testing/tcp-proxy.ts";
import { until } from "../../testing/until.ts";

const env = inject("testEnv");
const runId = uniqueNamespace("conformance");

function serverOf(backend: Backend): { host: string; port: number } {
  if (!backend.server) throw new Error(`the ${backend.name} store has no server`);
  return backend.server;
}

/** State that settles on the server's own schedule is polled gently. */
const settles = (timeoutMs: number) => ({ timeoutMs, intervalMs: 200 });

describe.each(storeBackends(env))("$name store", (backend) => {
  let store: MessageStore;
  let subjectCount = 0;
  /** A subject no other test of this run touches. */
  const freshSubject = (label: string) => `${label}.${++subjectCount}`;

  beforeAll(async () => {
    store = backend.create(runId);
    await store.open();
  });

  afterAll(async () => {
    await store.close();
    await backend.drop(runId);
  });

  it("reads back what a batch wrote, bytes and expiry intact", async () => {
    const subject = freshSubject("roundtrip");
    const expiresAtMs = Date.now() + 3_600_000;
    const written: MessageRecord[] = [
      { subject, id: 1, body: Uint8Array.from({ length: 256 }, (_, i) => i), expiresAtMs: null },
      { subject, id: 2, body: new Uint8Array(0), expiresAtMs },
      { subject, id: 3, body: text("ünïcode ✓"), expiresAtMs: null },
    ];
    await store.appendBatch(written);
    const now = Date.now();
    for (const r of written) expect(plain(await store.get(subject, r.id, now))).toEqual(plain(r));
    expect((await store.range(subject, 1, 10, now)).map(plain)).toEqual(written.map(plain));
  });

  it("answers unknown ids and subjects with nothing", async () => {
    const subject = freshSubject("unknown");
    await store.appendBatch([record(subject, 1)]);
    expect(await store.get(subject, 2, 0)).toBeUndefined();
    expect(await store.get(freshSubject("never"), 1, 0)).toBeUndefined();
    expect(await store.range(freshSubject("never"), 1, 10, 0)).toEqual([]);
    expect(await store.lastId(freshSubject("never"))).toBe(0);
  });

  it("ranges ascending from fromId, up to limit, across batches", async () => {
    const subject = freshSubject("range");
    await store.appendBatch([1, 2, 3, 4, 5].map((id) => record(subject, id)));
    await store.appendBatch([6, 7, 8].map((id) => record(subject, id)));
    expect(ids(await store.range(subject, 4, 3, 0))).toEqual([4, 5, 6]);
    expect(ids(await store.range(subject, 0, 100, 0))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ids(await store.range(subject, 8, 100, 0))).toEqual([8]);
    expect(await store.range(subject, 9, 100, 0)).toEqual([]);
    expect(await store.range(subject, 1, 0, 0)).toEqual([]);
  });

  it("hides records from their expiry on, in get and range", async () => {
    const subject = freshSubject("expiry");
    // Far enough ahead that no native TTL fires during the test.
    const expiresAtMs = Date.now() + 600_000;
    await store.appendBatch([
      record(subject, 1, expiresAtMs),
      record(subject, 2, null),
      record(subject, 3, expiresAtMs + 1000),
    ]);
    expect(await store.get(subject, 1, expiresAtMs - 1)).toBeDefined();
    expect(await store.get(subject, 1, expiresAtMs)).toBeUndefined();
    expect(await store.get(subject, 2, expiresAtMs + 10_000_000)).toBeDefined();
    expect(ids(await store.range(subject, 1, 10, expiresAtMs - 1))).toEqual([1, 2, 3]);
    expect(ids(await store.range(subject, 1, 10, expiresAtMs))).toEqual([2, 3]);
    expect(ids(await store.range(subject, 1, 10, expiresAtMs + 1000))).toEqual([2]);
  });

  it("fills a range past expired stretches and empty buckets", async () => {
    const subject = freshSubject("gaps");
    const expiresAtMs = Date.now() + 600_000;
    // Ids need not be dense: 35_000 is in Cassandra bucket 3, and bucket 2 holds nothing.
    await store.appendBatch([
      record(subject, 1),
      ...[2, 3, 9_999, 10_000].map((id) => record(subject, id, expiresAtMs)),
      record(subject, 35_000),
    ]);
    expect(ids(await store.range(subject, 2, 10, expiresAtMs))).toEqual([35_000]);
    expect(ids(await store.range(subject, 1, 2, expiresAtMs))).toEqual([1, 35_000]);
  });

  it("tracks lastId per subject, and keeps subjects apart", async () => {
    const a = freshSubject("isolated");
    const b = freshSubject("isolated");
    await store.appendBatch([record(a, 1), record(b, 1), record(a, 2), record(b, 2)]);
    await store.appendBatch([record(b, 3), record(b, 7)]);
    expect(await store.lastId(a)).toBe(2);
    expect(await store.lastId(b)).toBe(7);
    expect((await store.range(a, 1, 10, 0)).map((r) => r.subject)).toEqual([a, a]);
    expect(plain(await store.get(b, 1, 0))).toEqual(plain(record(b, 1)));
  });

  it("records the ids a write went past as skipped, and no id it stored", async () => {
    const subject = freshSubject("skipped");
    const other = freshSubject("skipped");
    await store.appendBatch([record(subject, 1), record(subject, 2)]);
    // The write of 3 and 4 failed after they were assigned; the next one stores 5 on.
    await store.appendBatch([record(other, 1), record(subject, 5), record(subject, 6)]);
    await store.appendBatch([record(subject, 7), record(subject, 9)]);
    const skipped: number[] = [];
    for (let id = 1; id <= 11; id += 1) if (await store.skipped(subject, id)) skipped.push(id);
    expect(skipped).toEqual([3, 4, 8]);
    expect(await store.skipped(other, 1)).toBe(false);
    expect(await store.skipped(freshSubject("never"), 1)).toBe(false);
  });

  it("never moves lastId back when a lower id lands later", async () => {
    const subject = freshSubject("reordered");
    await store.appendBatch([record(subject, 20)]);
    await store.appendBatch([record(subject, 10)]);
    expect(await store.lastId(subject)).toBe(20);
  });

  it("keeps lastId after every record of a subject is gone", async () => {
    const subject = freshSubject("purged");
    const now = Date.now();
    const expiresAtMs = now + (backend.expiry === "ttl" ? 1000 : 600_000);
    await store.appendBatch([1, 2, 3].map((id) => record(subject, id, expiresAtMs)));
    if (backend.expiry === "purge") {
      expect(await store.purgeExpired(expiresAtMs)).toBeGreaterThanOrEqual(3);
    } else {
      // Native TTL: nothing for the broker to delete, the server drops the rows.
      expect(await store.purgeExpired(expiresAtMs)).toBe(0);
      await sleep(expiresAtMs - Date.now() + 1000);
    }
    // Read as of `now`, before the expiry: only a real deletion hides the rows.
    await until(
      "the expired rows deleted",
      async () => (await store.range(subject, 1, 10, now)).length === 0,
      settles(10_000),
    );
    expect(await store.get(subject, 1, now)).toBeUndefined();
    expect(await store.lastId(subject)).toBe(3);
    // Stored, then gone: not skipped, so Fetch says expired rather than unknown.
    expect(await store.skipped(subject, 1)).toBe(false);
  });

  it("purges only what has expired", async () => {
    const subject = freshSubject("purge-bound");
    const expiresAtMs = Date.now() + 600_000;
    await store.appendBatch([record(subject, 1, expiresAtMs), record(subject, 2, null)]);
    await store.purgeExpired(expiresAtMs - 1);
    expect(ids(await store.range(subject, 1, 10, 0))).toEqual([1, 2]);
  });

  it("answers an idempotency key with its message's id, per subject, until its window closes", async () => {
    const subject = freshSubject("keyed");
    const other = freshSubject("keyed");
    const untilMs = Date.now() + 600_000;
    await store.appendBatch([
      { ...record(subject, 1), dedup: { key: "k1", untilMs } },
      record(subject, 2),
      { ...record(subject, 3), dedup: { key: "k3", untilMs: untilMs + 1000 } },
    ]);
    const now = Date.now();
    expect(await store.idempotentId(subject, "k1", now)).toBe(1);
    expect(await store.idempotentId(subject, "k3", now)).toBe(3);
    expect(await store.idempotentId(other, "k1", now)).toBeUndefined();
    expect(await store.idempotentId(subject, "unknown", now)).toBeUndefined();
    expect(await store.idempotentId(subject, "k1", untilMs)).toBeUndefined();
    expect(await store.idempotentId(subject, "k3", untilMs)).toBe(3);
  });

  it("deletes idempotency keys whose window closed, and only those", async () => {
    const subject = freshSubject("keys-purged");
    const now = Date.now();
    const untilMs = now + (backend.expiry === "ttl" ? 1000 : 600_000);
    await store.appendBatch([
      { ...record(subject, 1), dedup: { key: "closing", untilMs } },
      { ...record(subject, 2), dedup: { key: "open", untilMs: now + 3_600_000 } },
    ]);
    if (backend.expiry === "purge") await store.purgeExpired(untilMs);
    else await sleep(untilMs - Date.now() + 1000);
    // Read as of `now`, inside the window: only a real deletion hides the key.
    await until(
      "the closed key deleted",
      async () => (await store.idempotentId(subject, "closing", now)) === undefined,
      settles(10_000),
    );
    expect(await store.idempotentId(subject, "open", now)).toBe(2);
    expect(ids(await store.range(subject, 1, 10, now))).toEqual([1, 2]);
  });

  it("writes 5,000 records in one batch", async () => {
    const subject = freshSubject("large");
    const first = 7_501;
    const batch = Array.from({ length: 5_000 }, (_, i) => ({
      subject,
      id: first + i,
      body: new Uint8Array(128).fill(i % 251),
      expiresAtMs: null,
    }));
    await store.appendBatch(batch);
    const all = await store.range(subject, first, 5_000, 0);
    expect(ids(all)).toEqual(ids(batch));
    expect(all.every((r, i) => r.body[127] === i % 251)).toBe(true);
    expect(ids(await store.range(subject, 9_998, 4, 0))).toEqual([9_998, 9_999, 10_000, 10_001]);
    expect(await store.lastId(subject)).toBe(12_500);
  });

  it("keeps concurrent batches whole and apart", async () => {
    const subjects = Array.from({ length: 20 }, () => freshSubject("concurrent"));
    const batchesPerSubject = 5;
    const perBatch = 40;
    // Issued in id order per subject, as the batcher does, but all in flight at once.
    const writes: Promise<void>[] = [];
    for (let batch = 0; batch < batchesPerSubject; batch += 1) {
      for (const subject of subjects) {
        const batchIds = Array.from({ length: perBatch }, (_, i) => batch * perBatch + i + 1);
        writes.push(store.appendBatch(batchIds.map((id) => record(subject, id))));
      }
    }
    await Promise.all(writes);
    const total = batchesPerSubject * perBatch;
    for (const subject of subjects) {
      const stored = await store.range(subject, 1, total + 1, 0);
      expect(stored.map(plain)).toEqual(
        Array.from({ length: total }, (_, i) => plain(record(subject, i + 1))),
      );
      expect(await store.lastId(subject)).toBe(total);
    }
  });

  it.runIf(backend.durable)(
    "lets a later write of an id replace an unacknowledged one",
    async () => {
      const subject = freshSubject("rewrite");
      const staleExpiry = Date.now() + 600_000;
      await store.appendBatch([
        { ...record(subject, 1, staleExpiry), body: text("never acknowledged") },
      ]);
      await store.appendBatch([record(subject, 1), record(subject, 2)]);
      // Every field is replaced, the expiry too: the new record never expires.
      expect(plain(await store.get(subject, 1, staleExpiry + 1))).toEqual(
        plain(record(subject, 1)),
      );
      expect(await store.lastId(subject)).toBe(2);
    },
  );

  it.runIf(backend.durable)(
    "migrates a fresh namespace from concurrent opens, and keeps data across instances",
    async () => {
      const namespace = `${runId}_fresh`;
      const subject = "durable";
      try {
        const [writer, reader] = [backend.create(namespace), backend.create(namespace)];
        await Promise.all([writer.open(), reader.open()]);
        await writer.appendBatch([record(subject, 1), record(subject, 2, Date.now() + 600_000)]);
        expect(plain(await reader.get(subject, 1, 0))).toEqual(plain(record(subject, 1)));
        await Promise.all([writer.close(), reader.close()]);

        const reopened = backend.create(namespace);
        await reopened.open();
        try {
          expect(ids(await reopened.range(subject, 1, 10, 0))).toEqual([1, 2]);
          expect(await reopened.lastId(subject)).toBe(2);
        } finally {
          await reopened.close();
        }
      } finally {
        await backend.drop(namespace);
      }
    },
  );

  it.runIf(backend.server)(
    "fails fast to open an unreachable server, and opens once it is reachable",
    async () => {
      const { host, port } = serverOf(backend);
      const proxy = await TcpProxy.start(host, port);
      await proxy.cut();
      const late = backend.create(runId, proxy.port);
      const subject = freshSubject("late");
      try {
        await expectUnavailableQuickly(() => late.open());
        await expectUnavailableQuickly(() => late.ping());

        await proxy.restore();
        await until("the late store open", () => late.open().then(() => true), settles(30_000));
        await late.appendBatch([record(subject, 1)]);
        expect(await late.lastId(subject)).toBe(1);
      } finally {
        await late.close();
        await proxy.close();
      }
    },
  );

  it.runIf(backend.server)(
    "fails fast while the link is cut, and recovers by itself when it returns",
    async () => {
      const server = serverOf(backend);
      const subject = freshSubject("outage");
      await withProxiedStore(
        server,
        (port) => backend.create(runId, port),
        subject,
        async (proxy, proxied) => {
          await proxy.cut();
          await expectUnavailableQuickly(() => proxied.appendBatch([record(subject, 2)]));
          await expectUnavailableQuickly(() => proxied.get(subject, 1, 0));
          await expectUnavailableQuickly(() => proxied.lastId(subject));

          await proxy.restore();
          await until(
            "an append after the link returns",
            () => proxied.appendBatch([record(subject, 3)]).then(() => true),
            settles(30_000),
          );
          expect(ids(await proxied.range(subject, 1, 10, 0))).toEqual([1, 3]);
          expect(await proxied.lastId(subject)).toBe(3);
        },
      );
    },
  );

  it.runIf(backend.server)(
    "times out a hung server as StoreUnavailableError, and recovers",
    async () => {
      const server = serverOf(backend);
      const subject = freshSubject("stall");
      await withProxiedStore(
        server,
        (port) => backend.create(runId, port),
        subject,
        async (proxy, proxied) => {
          proxy.stall();
          await expectUnavailableQuickly(() => proxied.get(subject, 1, 0));

          proxy.resume();
          const got = await until(
            "a read after the stall ends",
            () => proxied.get(subject, 1, 0),
            settles(30_000),
          );
          expect(plain(got)).toEqual(plain(record(subject, 1)));
        },
      );
    },
  );
});

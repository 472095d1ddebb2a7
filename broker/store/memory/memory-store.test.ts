import { describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../errors.ts";
import type { MessageRecord } from "../message-store.ts";
import { MemoryStore } from "./memory-store.ts";

const record = (subject: string, id: number, expiresAtMs: number | null = null): MessageRecord => ({
  subject,
  id,
  body: new TextEncoder().encode(`${subject}#${id}`),
  expiresAtMs,
});

async function openStore(maxMessagesPerSubject = 1000) {
  const store = new MemoryStore({ maxMessagesPerSubject });
  await store.open();
  return store;
}

describe("MemoryStore", () => {
  it("stores, fetches and ranges per subject", async () => {
    const store = await openStore();
    await store.appendBatch([record("a", 1), record("b", 1), record("a", 2), record("a", 5)]);
    expect((await store.get("a", 2, 0))?.body).toEqual(record("a", 2).body);
    expect(await store.get("a", 3, 0)).toBeUndefined();
    expect(await store.get("c", 1, 0)).toBeUndefined();
    expect((await store.range("a", 2, 10, 0)).map((r) => r.id)).toEqual([2, 5]);
    expect((await store.range("a", 1, 2, 0)).map((r) => r.id)).toEqual([1, 2]);
    expect(await store.lastId("a")).toBe(5);
    expect(await store.lastId("b")).toBe(1);
    expect(await store.lastId("c")).toBe(0);
  });

  it("hides expired records on read and reclaims them on purge, keeping lastId", async () => {
    const store = await openStore();
    await store.appendBatch([record("a", 1, 100), record("a", 2, null), record("a", 3, 300)]);
    expect(await store.get("a", 1, 99)).toBeDefined();
    expect(await store.get("a", 1, 100)).toBeUndefined();
    expect((await store.range("a", 1, 10, 200)).map((r) => r.id)).toEqual([2, 3]);
    expect(await store.purgeExpired(300)).toBe(2);
    expect((await store.range("a", 0, 10, 0)).map((r) => r.id)).toEqual([2]);
    await store.appendBatch([record("b", 1, 10)]);
    expect(await store.purgeExpired(10)).toBe(1);
    expect(await store.lastId("a")).toBe(3);
    expect(await store.lastId("b")).toBe(1);
  });

  it("keeps at most maxMessagesPerSubject records, evicting the oldest", async () => {
    const store = await openStore(3);
    for (let id = 1; id <= 10; id += 1) await store.appendBatch([record("a", id)]);
    expect((await store.range("a", 0, 100, 0)).map((r) => r.id)).toEqual([8, 9, 10]);
    expect(await store.get("a", 7, 0)).toBeUndefined();
    expect(await store.lastId("a")).toBe(10);
  });

  it("is unavailable until opened and after close", async () => {
    const store = new MemoryStore({ maxMessagesPerSubject: 10 });
    await expect(store.ping()).rejects.toThrow(StoreUnavailableError);
    await store.open();
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.lastId("a")).rejects.toThrow(StoreUnavailableError);
  });
});

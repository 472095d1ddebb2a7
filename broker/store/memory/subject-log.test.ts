import { describe, expect, it } from "vitest";
import type { MessageRecord } from "../message-store.ts";
import { SubjectLog } from "./subject-log.ts";

const body = (id: number, bytes = 8) => new Uint8Array(bytes).fill(id % 251);
const record = (id: number, expiresAtMs: number | null = null, bytes = 8): MessageRecord => ({
  subject: "s",
  id,
  body: body(id, bytes),
  expiresAtMs,
});

function logOf(ids: Iterable<number>, expiresAt: (id: number) => number | null = () => null) {
  const log = new SubjectLog("s");
  for (const id of ids) log.append(record(id, expiresAt(id)));
  return log;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("SubjectLog", () => {
  it("reads back every record, body and expiry across segments of 1,024 records", () => {
    const log = logOf(range(1, 5000), (id) => (id % 2 === 0 ? 10_000 + id : null));
    expect(log.size).toBe(5000);
    for (const id of [1, 1024, 1025, 2048, 4999, 5000]) {
      expect(log.get(id, 0)).toEqual(record(id, id % 2 === 0 ? 10_000 + id : null));
    }
    expect(log.get(5001, 0)).toBeUndefined();
    expect(log.range(1020, 10, 0).map((r) => r.id)).toEqual(range(1020, 1029));
    expect(log.range(4998, 10, 0).map((r) => r.id)).toEqual([4998, 4999, 5000]);
  });

  it("finds ids with gaps, and the next one above a missing id", () => {
    const log = logOf(range(1, 3000).map((n) => n * 3));
    expect(log.get(3001, 0)).toBeUndefined();
    expect(log.get(3003, 0)?.id).toBe(3003);
    expect(log.range(3070, 3, 0).map((r) => r.id)).toEqual([3072, 3075, 3078]);
  });

  it("starts a new segment when bodies pass 1 MiB, keeping each body intact", () => {
    const log = new SubjectLog("s");
    for (const id of range(1, 40)) log.append(record(id, null, 100_000));
    for (const id of [1, 11, 12, 40]) {
      expect(log.get(id, 0)?.body).toEqual(body(id, 100_000));
    }
  });

  it("evicts the oldest across segment boundaries", () => {
    const log = logOf(range(1, 3000));
    log.evictOldest(2047);
    expect(log.size).toBe(953);
    expect(log.get(2047, 0)).toBeUndefined();
    expect(log.range(0, 2, 0).map((r) => r.id)).toEqual([2048, 2049]);
    log.evictOldest(953);
    expect(log.size).toBe(0);
    expect(log.range(0, 10, 0)).toEqual([]);
    log.append(record(3001));
    expect(log.range(0, 10, 0).map((r) => r.id)).toEqual([3001]);
  });

  it("hides expired records and purges them, keeping the live ones readable", () => {
    const log = logOf(range(1, 2500), (id) => (id % 3 === 0 ? 500 : null));
    expect(log.get(3, 499)?.id).toBe(3);
    expect(log.get(3, 500)).toBeUndefined();
    expect(log.range(1, 4, 500).map((r) => r.id)).toEqual([1, 2, 4, 5]);
    const views = log.range(1, 2, 0);
    expect(log.purgeExpired(500)).toBe(833);
    expect(log.size).toBe(1667);
    expect(log.get(2500, 0)).toEqual(record(2500));
    expect(log.range(2, 3, 0).map((r) => r.id)).toEqual([2, 4, 5]);
    // Bodies read before the purge still hold their bytes.
    expect(views.map((r) => r.body)).toEqual([body(1), body(2)]);
    expect(log.purgeExpired(500)).toBe(0);
  });
});

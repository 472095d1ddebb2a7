import { describe, expect, it } from "vitest";
import { UnwrittenKeys } from "./unwritten-keys.ts";

const keyed = (id: number, key: string, untilMs: number) => ({
  subject: "orders",
  id,
  body: new Uint8Array(),
  expiresAtMs: null,
  dedup: { key, untilMs },
});

describe("UnwrittenKeys", () => {
  it("answers a held key's id while its window is open, until its row is written", () => {
    const keys = new UnwrittenKeys();
    keys.hold(keyed(7, "k", 1000), "durable");
    expect(keys.find("orders", "k", 999)).toEqual({ id: 7, row: "durable" });
    expect(keys.find("orders", "k", 1000)).toBeUndefined();
    expect(keys.find("billing", "k", 0)).toBeUndefined();
    expect(keys.held(0)).toHaveLength(1);
    keys.release(keyed(7, "k", 1000));
    expect(keys.find("orders", "k", 0)).toBeUndefined();
  });

  it("drops closed windows and keeps a newer id over a stale release", () => {
    const keys = new UnwrittenKeys();
    keys.hold(keyed(7, "old", 10), "durable");
    keys.hold(keyed(8, "k", 1000), "durable");
    keys.hold(keyed(9, "k", 1000), "durable");
    keys.hold(keyed(10, "maybe", 1000), "uncertain");
    keys.release(keyed(8, "k", 1000));
    // Only durable rows get their keys written; an uncertain one waits for a retry to look.
    expect(keys.held(500).map((record) => record.id)).toEqual([9]);
    expect(keys.find("orders", "maybe", 500)).toEqual({ id: 10, row: "uncertain" });
  });
});

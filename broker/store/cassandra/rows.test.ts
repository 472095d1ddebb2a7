import { describe, expect, it } from "vitest";
import { BUCKET_SPAN } from "./buckets.ts";
import {
  headsOf,
  insertParams,
  isLive,
  LastIdRowSchema,
  recordFromGetRow,
  recordFromRangeRow,
} from "./rows.ts";

describe("insertParams", () => {
  it("binds subject, bucket, id, body, expiry and TTL in marker order", () => {
    const params = insertParams(
      { subject: "s", id: BUCKET_SPAN + 1, body: Uint8Array.of(7), expiresAtMs: 5_000 },
      1_000,
    );
    expect(params).toEqual(["s", 1n, BigInt(BUCKET_SPAN + 1), Buffer.of(7), 5_000n, 4]);
  });

  it("binds expiry 0 and no TTL for messages that never expire", () => {
    const params = insertParams(
      { subject: "s", id: 1, body: Uint8Array.of(7), expiresAtMs: null },
      0,
    );
    expect(params.slice(4)).toEqual([0n, 0]);
  });

  it("binds a view of a larger buffer without its neighbours", () => {
    const whole = Uint8Array.of(1, 2, 3, 4);
    const [, , , body] = insertParams(
      { subject: "s", id: 1, body: whole.subarray(1, 3), expiresAtMs: null },
      0,
    );
    expect(body).toEqual(Buffer.of(2, 3));
  });
});

describe("headsOf", () => {
  it("keeps the highest id per subject, whatever the order", () => {
    const body = new Uint8Array(0);
    const heads = headsOf([
      { subject: "a", id: 3, body, expiresAtMs: null },
      { subject: "b", id: 1, body, expiresAtMs: null },
      { subject: "a", id: 2, body, expiresAtMs: null },
    ]);
    expect(Object.fromEntries(heads)).toEqual({ a: 3, b: 1 });
  });
});

describe("row mapping", () => {
  it("maps range rows with BigInt ids and timestamps", () => {
    expect(recordFromRangeRow("s", { id: 12n, body: Buffer.of(1), expires_at_ms: 9n })).toEqual({
      subject: "s",
      id: 12,
      body: Buffer.of(1),
      expiresAtMs: 9,
    });
  });

  it("maps get rows, which carry no id", () => {
    expect(recordFromGetRow("s", 4, { body: Buffer.of(), expires_at_ms: 0n })).toEqual({
      subject: "s",
      id: 4,
      body: Buffer.of(),
      expiresAtMs: null,
    });
  });

  it("rejects rows of an unexpected shape", () => {
    expect(() =>
      recordFromRangeRow("s", { id: 1, body: Buffer.of(), expires_at_ms: 0n }),
    ).toThrow();
    expect(LastIdRowSchema.parse({ last_id: null }).last_id).toBeNull();
  });

  it("treats a record as expired from its expiry on", () => {
    const record = { subject: "s", id: 1, body: new Uint8Array(0), expiresAtMs: 100 };
    expect(isLive(record, 99)).toBe(true);
    expect(isLive(record, 100)).toBe(false);
    expect(isLive({ ...record, expiresAtMs: null }, Number.MAX_SAFE_INTEGER)).toBe(true);
  });
});

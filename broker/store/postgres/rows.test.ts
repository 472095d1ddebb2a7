import { describe, expect, it } from "vitest";
import { appendColumns, LastIdRowSchema, recordFromRow } from "./rows.ts";

describe("appendColumns", () => {
  it("splits records into parallel column arrays, keeping order and null expiry", () => {
    const body = Uint8Array.of(1, 2);
    expect(
      appendColumns([
        { subject: "a", id: 3, body, expiresAtMs: 1_700_000_000_123 },
        { subject: "b", id: 1, body, expiresAtMs: null, dedup: { key: "k", untilMs: 5_000 } },
      ]),
    ).toEqual([
      ["a", "b"],
      [3, 1],
      [body, body],
      [new Date(1_700_000_000_123), null],
      [null, "k"],
      [null, new Date(5_000)],
    ]);
  });
});

describe("recordFromRow", () => {
  it("maps bigint text and timestamptz back to numbers", () => {
    const body = Buffer.from("x");
    expect(recordFromRow("s", { id: "42", body, expires_at: new Date(1_700_000_000_123) })).toEqual(
      { subject: "s", id: 42, body, expiresAtMs: 1_700_000_000_123 },
    );
    expect(recordFromRow("s", { id: "1", body, expires_at: null }).expiresAtMs).toBeNull();
  });

  it("rejects rows of an unexpected shape", () => {
    expect(() => recordFromRow("s", { id: 1, body: "x", expires_at: null })).toThrow();
    expect(() => LastIdRowSchema.parse({ last_id: "99999999999999999999" })).toThrow();
  });
});

import { describe, expect, it } from "vitest";
import { addEntry, isPattern, maxEntries, previewChars, toEntry } from "./tail-entries.ts";

describe("tail entries", () => {
  it("takes the id of a subject's event and the subject#id of a pattern's", () => {
    expect(toEntry({ event: "message", id: "7", data: "héllo" }, "orders")).toEqual({
      subject: "orders",
      id: 7,
      preview: "héllo",
      binary: false,
      bytes: 6,
    });
    expect(toEntry({ event: "message", id: "orders.eu#12", data: "x" }, "orders.*")).toMatchObject({
      subject: "orders.eu",
      id: 12,
    });
  });

  it("previews binary bodies as base64 with their size, and cuts long bodies", () => {
    expect(toEntry({ event: "binary", id: "1", data: "3q2+7w==" }, "s")).toMatchObject({
      binary: true,
      bytes: 4,
      preview: "3q2+7w==",
    });
    const long = toEntry({ event: "message", id: "1", data: "a".repeat(previewChars + 5) }, "s");
    expect(long.preview).toBe(`${"a".repeat(previewChars)}…`);
    expect(long.bytes).toBe(previewChars + 5);
  });

  it("keeps the newest entries first, at most maxEntries", () => {
    let entries = [toEntry({ event: "message", id: "1", data: "" }, "s")];
    for (let id = 2; id <= maxEntries + 10; id++) {
      entries = addEntry(entries, toEntry({ event: "message", id: String(id), data: "" }, "s"));
    }
    expect(entries).toHaveLength(maxEntries);
    expect(entries[0]?.id).toBe(maxEntries + 10);
  });

  it("knows a pattern by its wildcard tokens", () => {
    expect(["orders.*", "orders.>", "orders", "orders.e*"].map(isPattern)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});

import { describe, expect, it } from "vitest";
import type { MessageRecord } from "../message-store.ts";
import { BUCKET_SPAN } from "./buckets.ts";
import { MAX_CHUNK_BYTES, MAX_CHUNK_ROWS, partitionChunks } from "./partitions.ts";

const record = (subject: string, id: number, bytes = 1): MessageRecord => ({
  subject,
  id,
  body: new Uint8Array(bytes),
  expiresAtMs: null,
});
const keys = (chunks: MessageRecord[][]) =>
  chunks.map((chunk) => chunk.map(({ subject, id }) => `${subject}${id}`));

describe("partitionChunks", () => {
  it("groups by subject and bucket, keeping order within each", () => {
    const chunks = partitionChunks([
      record("a", 1),
      record("b", 1),
      record("a", 2),
      record("a", BUCKET_SPAN),
      record("b", 2),
    ]);
    expect(keys(chunks)).toEqual([["a1", "a2"], ["b1", "b2"], [`a${BUCKET_SPAN}`]]);
  });

  it("cuts a partition's rows at MAX_CHUNK_ROWS", () => {
    const rows = Array.from({ length: MAX_CHUNK_ROWS * 2 + 1 }, (_, i) => record("a", i + 1));
    expect(partitionChunks(rows).map((chunk) => chunk.length)).toEqual([
      MAX_CHUNK_ROWS,
      MAX_CHUNK_ROWS,
      1,
    ]);
  });

  it("cuts at MAX_CHUNK_BYTES, and sends an oversized row alone", () => {
    const half = MAX_CHUNK_BYTES / 2;
    const chunks = partitionChunks([
      record("a", 1, half),
      record("a", 2, half),
      record("a", 3, 1),
      record("a", 4, MAX_CHUNK_BYTES * 4),
      record("a", 5, 1),
    ]);
    expect(keys(chunks)).toEqual([["a1", "a2"], ["a3"], ["a4"], ["a5"]]);
  });

  it("returns nothing for an empty batch", () => {
    expect(partitionChunks([])).toEqual([]);
  });
});

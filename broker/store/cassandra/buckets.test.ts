import { describe, expect, it } from "vitest";
import {
  BUCKET_SPAN,
  bucketOf,
  MAX_TTL_SECONDS,
  nextBucketStart,
  nextRangeCursor,
  ttlSeconds,
} from "./buckets.ts";

describe("bucketOf", () => {
  it("puts BUCKET_SPAN consecutive ids in one bucket", () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(BUCKET_SPAN - 1)).toBe(0);
    expect(bucketOf(BUCKET_SPAN)).toBe(1);
    expect(bucketOf(2 ** 31 - 1)).toBe(Math.floor((2 ** 31 - 1) / BUCKET_SPAN));
  });

  it("nextBucketStart is the first id of the following bucket", () => {
    expect(nextBucketStart(1)).toBe(BUCKET_SPAN);
    expect(nextBucketStart(BUCKET_SPAN)).toBe(2 * BUCKET_SPAN);
  });
});

describe("ttlSeconds", () => {
  it("is 0 (no TTL) for messages that never expire", () => {
    expect(ttlSeconds(null, 1000)).toBe(0);
  });

  it("rounds up so the row outlives its expiry", () => {
    expect(ttlSeconds(10_001, 0)).toBe(11);
    expect(ttlSeconds(10_000, 0)).toBe(10);
  });

  it("is at least 1 for an expiry already reached, since 0 would mean forever", () => {
    expect(ttlSeconds(500, 1000)).toBe(1);
  });

  it("caps at Cassandra's maximum", () => {
    expect(ttlSeconds(50 * 365 * 86_400_000, 0)).toBe(MAX_TTL_SECONDS);
  });
});

describe("nextRangeCursor", () => {
  it("continues in the same bucket after a full answer", () => {
    expect(nextRangeCursor(5, 10, 10, 42)).toBe(43);
  });

  it("moves to the next bucket after a short answer", () => {
    expect(nextRangeCursor(5, 10, 3, 42)).toBe(BUCKET_SPAN);
    expect(nextRangeCursor(BUCKET_SPAN + 5, 10, 0, undefined)).toBe(2 * BUCKET_SPAN);
  });
});

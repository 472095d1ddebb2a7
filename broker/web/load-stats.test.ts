import { describe, expect, it } from "vitest";
import { summarizeLatency } from "./load-stats.ts";

describe("summarizeLatency", () => {
  it("is null without a delivery", () => {
    expect(summarizeLatency([])).toBeNull();
  });

  it("takes the nearest rank of the sorted values", () => {
    const millis = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(summarizeLatency(millis)).toEqual({ p50: 50, p99: 99, max: 100 });
  });

  it("rounds to a hundredth of a millisecond", () => {
    expect(summarizeLatency([1.23456])).toEqual({ p50: 1.23, p99: 1.23, max: 1.23 });
  });
});

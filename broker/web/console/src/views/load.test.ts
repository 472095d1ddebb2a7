import { describe, expect, it } from "vitest";
import type { LoadProgress } from "../schemas.ts";
import { dlqPattern } from "./groups.ts";
import { describeSummary } from "./load.ts";
import { latencyData, throughputData } from "./load-charts.ts";

const second = (index: number, delivered: number): LoadProgress => ({
  second: index,
  published: 10,
  delivered,
  publishedTotal: 10 * index,
  deliveredTotal: delivered,
  latencyMs: delivered === 0 ? null : { p50: 1.5, p99: 4, max: 6 },
});

describe("load view's pure parts", () => {
  it("charts published and delivered per second, with a latency gap where nothing arrived", () => {
    const seconds = [second(1, 0), second(2, 20)];
    expect(throughputData(seconds)).toEqual([
      [1, 2],
      [10, 10],
      [0, 20],
    ]);
    expect(latencyData(seconds)).toEqual([
      [1, 2],
      [null, 1.5],
      [null, 4],
    ]);
  });

  it("states a run's outcome in a line", () => {
    const summary = {
      published: 200,
      delivered: 200,
      seconds: 2,
      publishedPerSecond: 100,
      deliveredPerSecond: 100,
      latencyMs: { p50: 1.2, p99: 3.4, max: 5 },
    };
    expect(describeSummary(summary)).toBe(
      "published 200 in 2 s (100 / s), delivered 200 (100 / s); latency p50 1.2 ms, p99 3.4 ms, max 5 ms",
    );
    expect(
      describeSummary({ ...summary, delivered: 0, deliveredPerSecond: 0, latencyMs: null }),
    ).toBe("published 200 in 2 s (100 / s), delivered 0 (0 / s)");
  });

  it("links a group's dead letters to the pattern of its dead-letter subjects", () => {
    expect(dlqPattern("billing")).toBe("$DLQ.billing.>");
  });
});

import { describe, expect, test } from "vitest";
import { EventSeries, seriesWindowMs } from "./event-series.ts";

describe("EventSeries", () => {
  test("an Event seen for the first time is new", () => {
    expect(new EventSeries().observe("a", 0)).toEqual({ kind: "new" });
  });

  test("the same Event within the window counts on in the first one's series", () => {
    const series = new EventSeries();
    series.started("a", "orders.1", 0);
    expect(series.observe("a", 1_000)).toEqual({ kind: "repeat", eventName: "orders.1", count: 2 });
    expect(series.observe("a", 2_000)).toEqual({ kind: "repeat", eventName: "orders.1", count: 3 });
    expect(series.observe("b", 2_000)).toEqual({ kind: "new" });
  });

  test("after the window the same Event starts a new series", () => {
    const series = new EventSeries();
    series.started("a", "orders.1", 0);
    expect(series.observe("a", seriesWindowMs + 1)).toEqual({ kind: "new" });
  });
});

import { describe, expect, it } from "vitest";
import { parseLocation } from "../route.ts";
import type { SubjectsBody } from "../schemas.ts";
import { formatSeconds } from "./common.ts";
import { describeSettings } from "./groups.ts";
import { chartData } from "./rate-chart.ts";
import { perSecondOf } from "./subjects.ts";

const body: SubjectsBody = {
  retention: { defaultExpirationSeconds: 0, maxExpirationSeconds: null },
  windowSeconds: 3,
  subjects: [
    { subject: "a", lastId: 4, ratePerSecond: 0.1, perSecond: [1, 0, 2] },
    { subject: "b", lastId: 9, ratePerSecond: 0.2, perSecond: [0, 5, 1] },
  ],
};

describe("console views' pure parts", () => {
  it("sums the per-second counts of every subject, or takes the one chosen", () => {
    expect(perSecondOf(body, "")).toEqual([1, 5, 3]);
    expect(perSecondOf(body, "b")).toEqual([0, 5, 1]);
  });

  it("charts whole seconds only, as seconds before now", () => {
    expect(chartData([1, 5, 3])).toEqual([
      [-2, -1],
      [1, 5],
    ]);
  });

  it("writes expiries and waits in whole units", () => {
    expect([0, null, 90, 120, 7200, 86_400, 90_000].map(formatSeconds)).toEqual([
      "never",
      "no limit",
      "90 s",
      "2 min",
      "2 h",
      "1 d",
      "25 h",
    ]);
    expect(
      describeSettings({
        group: "g",
        subject: "s",
        ackWaitMs: 30_000,
        maxDeliveries: 5,
        startId: 0,
        members: 0,
        redelivered: 0,
        deadLettered: 0,
        pending: 0,
        ackPending: 0,
        lag: 0,
        subjects: [],
      }),
    ).toBe("ack wait 30 s, 5 deliveries, from new messages");
  });

  it("reads the view and the subject from the URL fragment", () => {
    expect(parseLocation("#/tail/orders.%3E")).toEqual({ view: "tail", subject: "orders.>" });
    expect(parseLocation("")).toEqual({ view: "subjects", subject: "" });
    expect(parseLocation("#/nowhere/%E0%A4%A")).toEqual({ view: "subjects", subject: "" });
  });
});

import { describe, expect, it } from "vitest";
import { renderPodDisruptionBudget } from "./pod-disruption-budget.ts";
import { brokerFixture, managedPostgresSpec } from "../test/fixtures.ts";

describe("renderPodDisruptionBudget", () => {
  it("lets one broker go at a time", () => {
    const pdb = renderPodDisruptionBudget(brokerFixture({ replicas: 3, ...managedPostgresSpec }));
    expect(pdb.spec).toEqual({
      maxUnavailable: 1,
      selector: {
        matchLabels: {
          "app.kubernetes.io/name": "herald-broker",
          "app.kubernetes.io/instance": "orders",
        },
      },
    });
  });
});

import { describe, expect, it } from "vitest";
import { renderServiceMonitor } from "./service-monitor.ts";
import { brokerFixture } from "../test/fixtures.ts";

describe("renderServiceMonitor", () => {
  it("scrapes the brokers' metrics port through the headless Service, at the spec's interval", () => {
    const monitor = renderServiceMonitor(
      brokerFixture({
        monitoring: {
          serviceMonitor: { enabled: true, interval: "15s", labels: { release: "prom" } },
        },
      }),
    );
    expect(monitor).toMatchObject({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
    });
    expect(monitor.metadata?.labels).toMatchObject({
      release: "prom",
      "app.kubernetes.io/instance": "orders",
    });
    expect(monitor.spec).toEqual({
      selector: {
        matchLabels: {
          "app.kubernetes.io/name": "herald-broker",
          "app.kubernetes.io/instance": "orders",
          "herald.dev/service": "headless",
        },
      },
      namespaceSelector: { matchNames: ["shop"] },
      endpoints: [{ port: "metrics", path: "/metrics", interval: "15s", scheme: "http" }],
    });
  });
});

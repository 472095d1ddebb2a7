import { describe, expect, it } from "vitest";
import { renderHeadlessService } from "./headless-service.ts";
import { brokerFixture } from "../test/fixtures.ts";

describe("renderHeadlessService", () => {
  it("publishes every broker pod, ready or not, for peer discovery", () => {
    const service = renderHeadlessService(brokerFixture());
    expect(service.metadata?.name).toBe("orders-headless");
    expect(service.metadata?.labels).toMatchObject({ "herald.dev/service": "headless" });
    expect(service.spec).toMatchObject({
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: {
        "app.kubernetes.io/name": "herald-broker",
        "app.kubernetes.io/instance": "orders",
      },
    });
    expect(service.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ["grpc", 50051, "grpc"],
      ["cluster", 50052, "cluster"],
      ["metrics", 9464, "http"],
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { clientEndpoints, renderClientService } from "./client-service.ts";
import type { MessageBrokerSpecInput } from "../api/v1alpha1/index.ts";
import { brokerFixture, plaintextSpec } from "../test/fixtures.ts";

describe("renderClientService", () => {
  it("serves gRPC on 50051 and metrics, with the type and annotations of the spec", () => {
    const service = renderClientService(
      brokerFixture({
        service: { type: "LoadBalancer", annotations: { "lb.example/internal": "true" } },
      }),
    );
    expect(service.metadata).toMatchObject({
      name: "orders",
      annotations: { "lb.example/internal": "true" },
    });
    expect(service.spec?.type).toBe("LoadBalancer");
    expect(service.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ["grpc", 50051, "grpc"],
      ["metrics", 9464, "http"],
    ]);
  });

  it("leads clients to the Envoy sidecar when rate limiting is on, on the same port", () => {
    const service = renderClientService(brokerFixture({ rateLimit: { enabled: true } }));
    expect(service.spec?.ports?.[0]).toMatchObject({ port: 50051, targetPort: "grpc-limited" });
  });

  it("publishes the gateway on the spec's port, leading to the web container port", () => {
    const service = renderClientService(
      brokerFixture({ web: { enabled: true, service: { port: 80 } } }),
    );
    expect(service.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ["grpc", 50051, "grpc"],
      ["metrics", 9464, "http"],
      ["web", 80, "web"],
    ]);
    expect(clientEndpoints(brokerFixture({ web: { enabled: true } }), "cluster.local").web).toBe(
      "https://orders.shop.svc.cluster.local:8080",
    );
    const plain = brokerFixture({ ...plaintextSpec, web: { enabled: true } });
    expect(clientEndpoints(plain, "cluster.local").web).toBe(
      "http://orders.shop.svc.cluster.local:8080",
    );
  });

  it("says which ports speak TLS", () => {
    const protocols = (spec: MessageBrokerSpecInput) =>
      renderClientService(brokerFixture({ ...spec, web: { enabled: true } })).spec?.ports?.map(
        (p) => p.appProtocol,
      );
    expect(protocols({})).toEqual(["https", undefined, "https"]);
    expect(protocols(plaintextSpec)).toEqual(["kubernetes.io/h2c", undefined, "http"]);
  });

  it("reports the in-cluster endpoints", () => {
    expect(clientEndpoints(brokerFixture(), "cluster.local")).toEqual({
      grpc: "orders.shop.svc.cluster.local:50051",
      metrics: "http://orders.shop.svc.cluster.local:9464/metrics",
    });
  });
});

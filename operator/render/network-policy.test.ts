import { describe, expect, it } from "vitest";
import { renderNetworkPolicy } from "./network-policy.ts";
import { brokerFixture } from "../test/fixtures.ts";

const brokers = {
  matchLabels: {
    "app.kubernetes.io/name": "herald-broker",
    "app.kubernetes.io/instance": "orders",
  },
};

describe("renderNetworkPolicy", () => {
  it("admits clients on gRPC, scrapes on metrics and only peers on the cluster port", () => {
    const policy = renderNetworkPolicy(brokerFixture());
    expect(policy.spec).toEqual({
      podSelector: brokers,
      policyTypes: ["Ingress"],
      ingress: [
        {
          ports: [
            { protocol: "TCP", port: "grpc" },
            { protocol: "TCP", port: "http" },
          ],
        },
        { _from: [{ podSelector: brokers }], ports: [{ protocol: "TCP", port: "cluster" }] },
      ],
    });
  });

  it("with rate limiting, admits clients only through Envoy so the limit cannot be bypassed", () => {
    const [clients, peers] =
      renderNetworkPolicy(brokerFixture({ rateLimit: { enabled: true } })).spec?.ingress ?? [];
    expect(clients?.ports?.map((p) => p.port)).toEqual(["grpc-limited", "http"]);
    // The broker's own gRPC port admits nothing from outside the pod: Envoy dials it on loopback.
    expect(peers?.ports?.map((p) => p.port)).toEqual(["cluster"]);
  });

  it("admits clients on the gateway port when spec.web is on", () => {
    const [clients, peers] =
      renderNetworkPolicy(brokerFixture({ web: { enabled: true } })).spec?.ingress ?? [];
    expect(clients?.ports?.map((p) => p.port)).toEqual(["grpc", "http", "web"]);
    expect(peers?.ports?.map((p) => p.port)).toEqual(["cluster"]);
  });
});

import { describe, expect, it } from "vitest";
import { renderNetworkPolicy } from "./network-policy.ts";
import type { MessageBrokerSpecInput } from "../api/v1alpha1/index.ts";
import { brokerFixture, contextFixture } from "../test/fixtures.ts";

const render = (spec: MessageBrokerSpecInput = {}, podWorkers = new Map<string, number>()) =>
  renderNetworkPolicy(brokerFixture(spec), contextFixture({ podWorkers }));
const postgres = { storage: { type: "postgres", postgres: { managed: {} } } } as const;

const brokers = {
  matchLabels: {
    "app.kubernetes.io/name": "herald-broker",
    "app.kubernetes.io/instance": "orders",
  },
};

describe("renderNetworkPolicy", () => {
  it("admits clients on gRPC, scrapes on metrics and only peers on the cluster port", () => {
    const policy = render();
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
    const [clients, peers] = render({ rateLimit: { enabled: true } }).spec?.ingress ?? [];
    expect(clients?.ports?.map((p) => p.port)).toEqual(["grpc-limited", "http"]);
    // The broker's own gRPC port admits nothing from outside the pod: Envoy dials it on loopback.
    expect(peers?.ports?.map((p) => p.port)).toEqual(["cluster"]);
  });

  it("admits clients on the gateway port when spec.web is on", () => {
    const [clients, peers] = render({ web: { enabled: true } }).spec?.ingress ?? [];
    expect(clients?.ports?.map((p) => p.port)).toEqual(["grpc", "http", "web"]);
    expect(peers?.ports?.map((p) => p.port)).toEqual(["cluster"]);
  });

  it("admits each worker's gRPC port like the client port, and its cluster port only from peers", () => {
    const [clients, peers] = render({ ...postgres, workers: 3 }).spec?.ingress ?? [];
    expect(clients?.ports).toEqual([
      { protocol: "TCP", port: "grpc" },
      { protocol: "TCP", port: 50100, endPort: 50102 },
      { protocol: "TCP", port: "http" },
    ]);
    expect(peers?._from).toEqual([{ podSelector: brokers }]);
    expect(peers?.ports).toEqual([
      { protocol: "TCP", port: "cluster" },
      { protocol: "TCP", port: 50200, endPort: 50202 },
    ]);
  });

  it("with rate limiting, admits nothing from outside the pod on the workers' gRPC ports", () => {
    const [clients, peers] =
      render({ ...postgres, workers: 2, rateLimit: { enabled: true } }).spec?.ingress ?? [];
    expect(clients?.ports?.map((p) => p.port)).toEqual(["grpc-limited", "http"]);
    expect(peers?.ports?.map((p) => [p.port, p.endPort])).toEqual([
      ["cluster", undefined],
      [50200, 50201],
    ]);
  });

  it("covers the workers of pods not yet replaced, when they run more than the spec asks", () => {
    const live = new Map([
      ["orders-0", 4],
      ["orders-1", 1],
    ]);
    const [clients, peers] = render({ ...postgres, workers: 2 }, live).spec?.ingress ?? [];
    expect(clients?.ports?.[1]).toEqual({ protocol: "TCP", port: 50100, endPort: 50103 });
    expect(peers?.ports?.[1]).toEqual({ protocol: "TCP", port: 50200, endPort: 50203 });
    // Back to one worker: the ranges stay until the last pod of several is replaced.
    expect(render(postgres, live).spec?.ingress?.[1]?.ports?.[1]?.endPort).toBe(50203);
    expect(render(postgres, new Map([["orders-0", 1]])).spec?.ingress?.[1]?.ports).toEqual([
      { protocol: "TCP", port: "cluster" },
    ]);
  });
});

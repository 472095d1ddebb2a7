import { describe, expect, it } from "vitest";
import { messageBrokerSchema, messageBrokerSpecSchema } from "./index.ts";

describe("MessageBroker spec schema", () => {
  it("defaults an empty spec to a one-pod memory broker", () => {
    expect(messageBrokerSpecSchema.parse({})).toEqual({
      replicas: 1,
      logLevel: "info",
      maxMessageBytes: 4 * 1024 * 1024,
      storage: { type: "memory", batch: { maxSize: 1000, maxDelayMs: 5 } },
      deletionPolicy: "Retain",
      retention: {},
      deduplication: { windowSeconds: 120 },
      rateLimit: { enabled: false, requestsPerSecond: 1000, burst: 2000 },
      monitoring: { serviceMonitor: { enabled: false, interval: "30s", labels: {} } },
      tracing: { enabled: false, samplingRatio: 1 },
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
      podTemplate: { labels: {}, annotations: {}, terminationGracePeriodSeconds: 30 },
      service: { type: "ClusterIP", annotations: {} },
      web: { enabled: false, service: { port: 8080 } },
      tls: { enabled: true },
      auth: { enabled: true },
    });
  });

  it("fills the defaults of nested store blocks", () => {
    const spec = messageBrokerSpecSchema.parse({
      storage: {
        type: "postgres",
        postgres: { managed: {}, external: { host: "db", credentialsSecret: { name: "s" } } },
      },
    });
    expect(spec.storage.postgres?.managed).toEqual({ storage: "10Gi", version: "17" });
    expect(spec.storage.postgres?.external?.credentialsSecret).toEqual({
      name: "s",
      usernameKey: "username",
      passwordKey: "password",
    });
    const cassandra = messageBrokerSpecSchema.parse({
      storage: { type: "cassandra", cassandra: { managed: {} } },
    });
    expect(cassandra.storage.cassandra?.managed).toEqual({
      replicas: 1,
      storage: "10Gi",
      version: "5.0",
    });
  });

  it("accepts quantities as strings or integers", () => {
    const spec = messageBrokerSpecSchema.parse({
      resources: { requests: { cpu: 2, memory: "1Gi" } },
    });
    expect(spec.resources.requests).toEqual({ cpu: 2, memory: "1Gi" });
  });

  it("passes affinity through untouched", () => {
    const affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } };
    expect(
      messageBrokerSpecSchema.parse({ podTemplate: { affinity } }).podTemplate.affinity,
    ).toEqual(affinity);
  });

  it.each([
    ["negative replicas", { replicas: -1 }],
    ["fractional replicas", { replicas: 1.5 }],
    ["an unknown store", { storage: { type: "redis" } }],
    [
      "a malformed volume size",
      { storage: { type: "postgres", postgres: { managed: { storage: "ten gigs" } } } },
    ],
    ["a sampling ratio above 1", { tracing: { samplingRatio: 2 } }],
    ["a malformed scrape interval", { monitoring: { serviceMonitor: { interval: "soon" } } }],
    ["an unknown service type", { service: { type: "ExternalName" } }],
    [
      "a keyspace with a dash",
      {
        storage: {
          type: "cassandra",
          cassandra: {
            external: { contactPoints: ["c"], localDataCenter: "dc1", keyspace: "a-b" },
          },
        },
      },
    ],
    [
      "no contact points",
      {
        storage: {
          type: "cassandra",
          cassandra: { external: { contactPoints: [], localDataCenter: "dc1" } },
        },
      },
    ],
    [
      "a non-postgres url",
      {
        storage: {
          type: "postgres",
          postgres: { external: { url: "mysql://db", credentialsSecret: { name: "s" } } },
        },
      },
    ],
  ])("rejects %s", (_name, spec) => {
    expect(messageBrokerSpecSchema.safeParse(spec).success).toBe(false);
  });

  it("parses a whole object from the API, keeping unknown metadata", () => {
    const broker = messageBrokerSchema.parse({
      apiVersion: "herald.dev/v1alpha1",
      kind: "MessageBroker",
      metadata: { name: "orders", namespace: "shop", uid: "1", generation: 2, managedFields: [] },
      spec: { replicas: 0 },
      status: { phase: "Running", conditions: [] },
    });
    expect(broker.metadata).toMatchObject({ name: "orders", managedFields: [] });
    expect(broker.spec.replicas).toBe(0);
  });

  it("rejects another kind", () => {
    const other = {
      apiVersion: "herald.dev/v1alpha1",
      kind: "Other",
      metadata: { name: "a", namespace: "b", uid: "c" },
    };
    expect(messageBrokerSchema.safeParse(other).success).toBe(false);
  });
});

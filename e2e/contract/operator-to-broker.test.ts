/**
 * The operator↔broker contract, crossed: render every child of a MessageBroker that sets every spec
 * field, build the broker container's environment as the kubelet would, and load it with the
 * broker's own loader. Every variable must be known and every one the broker parses must matter.
 */
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Secret,
  V1StatefulSet,
} from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { isDeepStrictEqual } from "node:util";
import {
  brokerEnvSchema,
  libraryEnvNames,
  unknownBrokerVariables,
} from "../../contract/broker-env.ts";
import { loadConfig } from "../../broker/config.ts";
import {
  messageBrokerSpecSchema,
  type MessageBrokerSpecInput,
} from "../../operator/api/v1alpha1/index.ts";
import { renderChildren } from "../../operator/render/index.ts";
import {
  brokerFixture,
  contextFixture,
  externalCassandraSpec,
  externalPostgresSpec,
  managedCassandraSpec,
} from "../../operator/test/fixtures.ts";
import { resolveContainerEnv } from "../kubelet/env.ts";
import { podSchema } from "../kubelet/pod-schema.ts";

/** Every top-level spec field set, each to a value other than its default. */
const everyField = {
  replicas: 3,
  workers: 2,
  image: "registry.example/herald-broker:9.9.9",
  imagePullPolicy: "IfNotPresent",
  logLevel: "debug",
  maxMessageBytes: 2 * 1024 * 1024,
  storage: {
    type: "postgres",
    postgres: { managed: {} },
    batch: { maxSize: 250, maxDelayMs: 12 },
  },
  deletionPolicy: "Delete",
  retention: { defaultExpirationSeconds: 30, maxExpirationSeconds: 3600 },
  deduplication: { windowSeconds: 300 },
  rateLimit: { enabled: true, requestsPerSecond: 50, burst: 100 },
  monitoring: { serviceMonitor: { enabled: true, interval: "15s", labels: { team: "a" } } },
  tracing: { enabled: true, endpoint: "http://collector.observability:4317", samplingRatio: 0.25 },
  resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "1Gi" } },
  podTemplate: {
    labels: { tier: "messaging" },
    annotations: { note: "x" },
    nodeSelector: { disk: "ssd" },
    tolerations: [{ key: "dedicated", operator: "Exists", effect: "NoSchedule" }],
    priorityClassName: "high",
    imagePullSecrets: ["regcred"],
    terminationGracePeriodSeconds: 45,
  },
  service: { type: "LoadBalancer", annotations: { "lb.example/internal": "true" } },
  web: { enabled: true, service: { port: 80 } },
  tls: {
    enabled: true,
    issuerRef: { name: "cluster-ca", kind: "ClusterIssuer", group: "cert-manager.io" },
  },
  auth: { enabled: true },
} satisfies MessageBrokerSpecInput;

const storeVariants: Record<string, MessageBrokerSpecInput> = {
  "every field, managed PostgreSQL": everyField,
  "memory store": { ...everyField, replicas: 1, storage: { type: "memory" } },
  "managed Cassandra": { ...everyField, ...managedCassandraSpec },
  "external PostgreSQL": { ...everyField, ...externalPostgresSpec },
  "external Cassandra": { ...everyField, ...externalCassandraSpec },
};

const spec = messageBrokerSpecSchema.shape;
const batch = spec.storage.unwrap().shape.batch.unwrap().shape;
const retention = spec.retention.unwrap().shape;
/** The numeric spec fields rendered into broker variables, with the bounds the CRD gives them. */
const rendered = {
  maxMessageBytes: spec.maxMessageBytes.unwrap(),
  maxSize: batch.maxSize.unwrap(),
  maxDelayMs: batch.maxDelayMs.unwrap(),
  maxExpirationSeconds: retention.maxExpirationSeconds.unwrap(),
  windowSeconds: spec.deduplication.unwrap().shape.windowSeconds.unwrap(),
  terminationGracePeriodSeconds: spec.podTemplate
    .unwrap()
    .shape.terminationGracePeriodSeconds.unwrap(),
};

/** Every rendered number at the CRD's lowest or highest value. */
function atBound(bound: "minValue" | "maxValue") {
  const value = (field: { readonly minValue: number | null; readonly maxValue: number | null }) => {
    const limit = field[bound];
    if (limit === null) throw new Error(`a rendered CRD field has no ${bound}`);
    return limit;
  };
  const expiration = value(rendered.maxExpirationSeconds);
  return {
    ...everyField,
    maxMessageBytes: value(rendered.maxMessageBytes),
    storage: {
      ...everyField.storage,
      batch: { maxSize: value(rendered.maxSize), maxDelayMs: value(rendered.maxDelayMs) },
    },
    // The CRD asks for a default between 1 and the maximum when both are set.
    retention: { defaultExpirationSeconds: expiration, maxExpirationSeconds: expiration },
    deduplication: { windowSeconds: value(rendered.windowSeconds) },
    podTemplate: {
      ...everyField.podTemplate,
      terminationGracePeriodSeconds: value(rendered.terminationGracePeriodSeconds),
    },
  } satisfies MessageBrokerSpecInput;
}

/** Secrets a user creates for an external store, as the test fixtures name them. */
const userSecrets = new Map<string, Record<string, string>>([
  ["pg", { username: "app", password: "app-password" }],
  ["cass", { user: "app", pass: "app-password" }],
]);

const isKind =
  <T extends KubernetesObject>(kind: string) =>
  (object: KubernetesObject): object is T =>
    object.kind === kind;

/** The broker container's environment in pod `<name>-0`, as the kubelet builds it. */
function brokerPodEnv(spec: MessageBrokerSpecInput): Record<string, string> {
  const broker = brokerFixture(spec);
  // A user names a ServiceAccount, so the JWT settings are rendered too.
  const issuer = { issuer: "https://kubernetes.default.svc", jwks: '{"keys":[]}' };
  const children = renderChildren(broker, contextFixture({ serviceAccountIssuer: issuer }));
  const statefulSet = children
    .filter(isKind<V1StatefulSet>("StatefulSet"))
    .find((candidate) => candidate.metadata?.name === broker.metadata.name);
  const template = statefulSet?.spec?.template;
  const pod = podSchema.parse({
    metadata: { ...template?.metadata, name: "orders-0", namespace: "shop", uid: "pod-uid" },
    spec: template?.spec,
  });
  const container = pod.spec.containers.find((candidate) => candidate.name === "broker");
  if (!container) throw new Error("the broker StatefulSet has no broker container");
  const decode = (data: Record<string, string> = {}) =>
    Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, Buffer.from(value, "base64").toString()]),
    );
  const configMaps = new Map(
    children
      .filter(isKind<V1ConfigMap>("ConfigMap"))
      .map((map) => [map.metadata?.name ?? "", map.data ?? {}]),
  );
  const secrets = new Map([
    ...userSecrets,
    ...children
      .filter(isKind<V1Secret>("Secret"))
      .map((secret) => [secret.metadata?.name ?? "", decode(secret.data)] as const),
  ]);
  return resolveContainerEnv(container, {
    pod,
    podIP: "10.1.0.5",
    hostIP: "10.0.0.1",
    configMaps,
    secrets,
    serviceEnv: {},
    nodeAllocatable: { cpu: "2", memory: "8Gi" },
  }).env;
}

/** Whether `loadConfig` reads `name`: its result changes (or it refuses) without the variable. */
function readByBroker(env: Record<string, string>, name: string): boolean {
  const without = Object.fromEntries(Object.entries(env).filter(([key]) => key !== name));
  try {
    return !isDeepStrictEqual(loadConfig(without), loadConfig(env));
  } catch {
    return true;
  }
}

/** A rendered value equal to the schema's default changes nothing when removed, and needs no proof. */
function isDefault(name: keyof typeof brokerEnvSchema.shape, text: string): boolean {
  const field = brokerEnvSchema.shape[name];
  const fallback = field.safeParse(undefined);
  return (
    fallback.success &&
    fallback.data !== undefined &&
    isDeepStrictEqual(fallback.data, field.parse(text))
  );
}

describe("operator render → broker loader", () => {
  it("the fixture sets every MessageBroker spec field", () => {
    expect(Object.keys(everyField).sort()).toEqual(
      Object.keys(messageBrokerSpecSchema.shape).sort(),
    );
  });

  describe.each(Object.entries(storeVariants))("%s", (_, spec) => {
    const env = brokerPodEnv(spec);
    const names = Object.keys(env);

    it("renders only variables of the contract", () => {
      const known = new Set<string>([...Object.keys(brokerEnvSchema.shape), ...libraryEnvNames]);
      expect(names.filter((name) => !known.has(name))).toEqual([]);
      expect(unknownBrokerVariables(env)).toEqual([]);
    });

    it("is accepted by the broker's loader", () => {
      expect(() => loadConfig(env)).not.toThrow();
    });

    it("sets nothing the broker ignores", () => {
      const brokerNames = names.filter(
        (name): name is keyof typeof brokerEnvSchema.shape => name in brokerEnvSchema.shape,
      );
      const unread = brokerNames.filter(
        (name) => !readByBroker(env, name) && !isDefault(name, env[name] ?? ""),
      );
      expect(unread).toEqual([]);
    });
  });

  it.each(["minValue", "maxValue"] as const)(
    "accepts every rendered number at the CRD's %s",
    (bound) => {
      const input = atBound(bound);
      const config = loadConfig(brokerPodEnv(input));
      expect(config).toMatchObject({
        maxMessageBytes: input.maxMessageBytes,
        batch: input.storage.batch,
        retention: input.retention,
        shutdownGraceMs: Math.floor(input.podTemplate.terminationGracePeriodSeconds * 800),
      });
    },
  );

  it("carries each spec value into the broker's configuration", () => {
    const config = loadConfig(brokerPodEnv(everyField));
    expect(config).toMatchObject({
      logLevel: "debug",
      maxMessageBytes: 2 * 1024 * 1024,
      batch: { maxSize: 250, maxDelayMs: 12 },
      retention: { defaultExpirationSeconds: 30, maxExpirationSeconds: 3600 },
      // 80% of the pod's grace: the rest lets the process exit.
      shutdownGraceMs: 36_000,
      store: { kind: "postgres", url: "postgres://orders-postgres.shop.svc:5432/herald" },
      cluster: {
        self: "orders-0",
        membership: { kind: "kubernetes", namespace: "shop", configMap: "orders-membership" },
      },
    });
  });
});

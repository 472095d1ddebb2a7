import { describe, expect, test } from "vitest";
import {
  EnvError,
  expand,
  expandArgs,
  kubernetesServiceEnv,
  mappingFor,
  referencedObjects,
  resolveContainerEnv,
  type EnvContext,
} from "./env.ts";
import { podSchema, type Container, type Pod } from "./pod-schema.ts";
import { externalPostgresSpec } from "../../operator/test/fixtures.ts";
import { brokerPod } from "./test-pods.ts";

function pod(containers: Container[] = [{ name: "c" }]): Pod {
  return podSchema.parse({
    metadata: {
      name: "orders-0",
      namespace: "shop",
      uid: "uid-1",
      labels: { app: "herald", "b.io/x": 'say "hi"' },
      annotations: { note: "n" },
    },
    spec: { nodeName: "herald-local", serviceAccountName: "orders-broker", containers },
  });
}

function context(overrides: Partial<EnvContext> = {}): EnvContext {
  return {
    pod: pod(),
    podIP: "127.0.10.7",
    hostIP: "127.0.0.1",
    configMaps: new Map(),
    secrets: new Map(),
    serviceEnv: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "6443" },
    nodeAllocatable: { cpu: "8", memory: "16Gi" },
    ...overrides,
  };
}

const resolve = (container: Omit<Container, "name">, overrides: Partial<EnvContext> = {}) =>
  resolveContainerEnv({ name: "c", ...container }, context(overrides)).env;

describe("expand", () => {
  const lookup = mappingFor({ A: "a", EMPTY: "" });
  test.each([
    ["$(A)", "a"],
    ["x-$(A)-y", "x-a-y"],
    ["$$(A)", "$(A)"],
    ["$$$(A)", "$a"],
    ["$(UNKNOWN)", "$(UNKNOWN)"],
    ["$(EMPTY)", ""],
    ["$(A", "$(A"],
    ["$(A$(A)", "$(A$(A)"],
    ["a$", "a$"],
    ["$x", "$x"],
    ["$()", "$()"],
    ["$(A)$(A)", "aa"],
    ["no refs", "no refs"],
  ])("%s → %s", (input, output) => {
    expect(expand(input, lookup)).toBe(output);
  });
});

describe("resolveContainerEnv", () => {
  test("envFrom sources in order with prefixes, env over them, invalid keys dropped", () => {
    const configMaps = new Map<string, Record<string, string>>([
      ["a", { ONE: "1", TWO: "2", "bad key": "x", "1st": "y" }],
      ["b", { TWO: "two" }],
    ]);
    const secrets = new Map([["s", { TOKEN: "t0ken" }]]);
    const result = resolveContainerEnv(
      {
        name: "c",
        envFrom: [
          { configMapRef: { name: "a" } },
          { configMapRef: { name: "b" } },
          { secretRef: { name: "s" }, prefix: "S_" },
        ],
        env: [{ name: "ONE", value: "uno" }],
      },
      context({ configMaps, secrets }),
    );
    expect(result.env).toMatchObject({ ONE: "uno", TWO: "two", S_TOKEN: "t0ken" });
    expect(result.invalidKeys).toEqual(["bad key", "1st"]);
  });

  test("a missing source fails unless optional", () => {
    expect(() => resolve({ envFrom: [{ configMapRef: { name: "gone" } }] })).toThrow(
      new EnvError('configmap "gone" not found'),
    );
    expect(() => resolve({ envFrom: [{ secretRef: { name: "gone" } }] })).toThrow(
      'secret "gone" not found',
    );
    expect(
      resolve({ envFrom: [{ secretRef: { name: "gone", optional: true } }] }),
    ).not.toHaveProperty("gone");
  });

  test("key references: value, missing key, missing object, optional", () => {
    const configMaps = new Map([["cm", { k: "v" }]]);
    const secrets = new Map([["sec", { password: "p@ss" }]]);
    const env = resolve(
      {
        env: [
          { name: "FROM_CM", valueFrom: { configMapKeyRef: { name: "cm", key: "k" } } },
          { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "sec", key: "password" } } },
          {
            name: "OPTIONAL_KEY",
            valueFrom: { configMapKeyRef: { name: "cm", key: "nope", optional: true } },
          },
          {
            name: "OPTIONAL_OBJECT",
            valueFrom: { secretKeyRef: { name: "none", key: "x", optional: true } },
          },
        ],
      },
      { configMaps, secrets },
    );
    expect(env).toMatchObject({ FROM_CM: "v", FROM_SECRET: "p@ss" });
    expect(env).not.toHaveProperty("OPTIONAL_KEY");
    expect(env).not.toHaveProperty("OPTIONAL_OBJECT");
    expect(() =>
      resolve(
        { env: [{ name: "X", valueFrom: { secretKeyRef: { name: "sec", key: "user" } } }] },
        { secrets },
      ),
    ).toThrow("couldn't find key user in Secret shop/sec");
    expect(() =>
      resolve({ env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "no", key: "k" } } }] }),
    ).toThrow('configmap "no" not found');
  });

  test("downward API fields", () => {
    const field = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
    const env = resolve({
      env: [
        { name: "NAME", ...field("metadata.name") },
        { name: "NS", ...field("metadata.namespace") },
        { name: "UID", ...field("metadata.uid") },
        { name: "APP", ...field("metadata.labels['app']") },
        { name: "MISSING_LABEL", ...field("metadata.labels['nope']") },
        { name: "LABELS", ...field("metadata.labels") },
        { name: "NODE", ...field("spec.nodeName") },
        { name: "SA", ...field("spec.serviceAccountName") },
        { name: "POD_IP", ...field("status.podIP") },
        { name: "POD_IPS", ...field("status.podIPs") },
        { name: "HOST_IP", ...field("status.hostIP") },
      ],
    });
    expect(env).toMatchObject({
      NAME: "orders-0",
      NS: "shop",
      UID: "uid-1",
      APP: "herald",
      MISSING_LABEL: "",
      LABELS: 'app="herald"\nb.io/x="say \\"hi\\""',
      NODE: "herald-local",
      SA: "orders-broker",
      POD_IP: "127.0.10.7",
      POD_IPS: "127.0.10.7",
      HOST_IP: "127.0.0.1",
    });
    expect(() => resolve({ env: [{ name: "X", ...field("spec.hostname") }] })).toThrow(
      "unsupported fieldPath: spec.hostname",
    );
  });

  test("resource fields: rounded up by the divisor, unset limits are the node's allocatable", () => {
    const resource = (resource: string, divisor?: string) => ({
      valueFrom: { resourceFieldRef: { resource, ...(divisor ? { divisor } : {}) } },
    });
    const env = resolve({
      resources: { requests: { cpu: "250m", memory: "100Mi" }, limits: { memory: "1Gi" } },
      env: [
        { name: "CPU_REQUEST_M", ...resource("requests.cpu", "1m") },
        { name: "CPU_REQUEST", ...resource("requests.cpu") },
        { name: "CPU_LIMIT", ...resource("limits.cpu") },
        { name: "MEMORY_LIMIT_MI", ...resource("limits.memory", "1Mi") },
        { name: "MEMORY_REQUEST", ...resource("requests.memory") },
      ],
    });
    expect(env).toMatchObject({
      CPU_REQUEST_M: "250",
      CPU_REQUEST: "1",
      CPU_LIMIT: "8",
      MEMORY_LIMIT_MI: "1024",
      MEMORY_REQUEST: String(100 * 2 ** 20),
    });
  });

  test("$(VAR) sees earlier variables and service variables, never later ones", () => {
    const env = resolve(
      {
        envFrom: [{ configMapRef: { name: "cm" } }],
        env: [
          { name: "EARLY", value: "$(LATE)-$(FROM_CM)" },
          { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "ADDR", value: "$(POD).$(KUBERNETES_SERVICE_HOST):$$(POD)" },
          { name: "LATE", value: "late" },
        ],
      },
      { configMaps: new Map([["cm", { FROM_CM: "cm" }]]) },
    );
    expect(env.EARLY).toBe("$(LATE)-cm");
    expect(env.ADDR).toBe("orders-0.127.0.0.1:$(POD)");
  });

  test("service variables fill in only what the container leaves undefined", () => {
    const env = resolve({ env: [{ name: "KUBERNETES_SERVICE_PORT", value: "443" }] });
    expect(env).toMatchObject({
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: "443",
    });
  });

  test("a value-less variable is set to the empty string", () => {
    expect(resolve({ env: [{ name: "EMPTY" }] })).toHaveProperty("EMPTY", "");
  });

  test("the operator's rendered broker container resolves completely", () => {
    const pod = brokerPod();
    const container = pod.spec.containers[0];
    if (!container) throw new Error("no broker container");
    const refs = referencedObjects(container);
    expect(refs).toEqual({ configMaps: ["orders-config"], secrets: [] });
    const env = resolveContainerEnv(
      container,
      context({
        pod,
        configMaps: new Map([["orders-config", { HERALD_STORE: "memory" }]]),
      }),
    ).env;
    expect(env).toMatchObject({
      POD_NAME: "orders-0",
      POD_NAMESPACE: "shop",
      HERALD_STORE: "memory",
      HERALD_GRPC_ADDR: "0.0.0.0:50051",
      HERALD_MEMBERSHIP_CONFIGMAP: "orders-membership",
    });
    expect(Object.values(env).join(" ")).not.toContain("$(");
  });

  test("the rendered broker of an external PostgreSQL gets its credentials from the Secret", () => {
    const pod = brokerPod(externalPostgresSpec);
    const container = pod.spec.containers[0];
    if (!container) throw new Error("no broker container");
    expect(referencedObjects(container).secrets).toEqual(["pg"]);
    const configMaps = new Map([["orders-config", { HERALD_STORE: "postgres" }]]);
    expect(() => resolveContainerEnv(container, context({ pod, configMaps }))).toThrow(
      'secret "pg" not found',
    );
    const secrets = new Map([["pg", { username: "herald", password: "pw" }]]);
    const { env } = resolveContainerEnv(container, context({ pod, configMaps, secrets }));
    expect(env).toMatchObject({ PGUSER: "herald", PGPASSWORD: "pw" });
  });
});

describe("expandArgs", () => {
  test("expands from the final env and keeps unknown references", () => {
    expect(expandArgs(["--name=$(POD)", "$(NOPE)", "$$(POD)"], { POD: "p-0" })).toEqual([
      "--name=p-0",
      "$(NOPE)",
      "$(POD)",
    ]);
  });
});

describe("kubernetesServiceEnv", () => {
  test("points in-cluster clients at the API server on loopback", () => {
    expect(kubernetesServiceEnv("https://127.0.0.1:56443")).toEqual({
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: "56443",
      KUBERNETES_SERVICE_PORT_HTTPS: "56443",
      KUBERNETES_PORT: "tcp://127.0.0.1:56443",
      KUBERNETES_PORT_56443_TCP: "tcp://127.0.0.1:56443",
      KUBERNETES_PORT_56443_TCP_PROTO: "tcp",
      KUBERNETES_PORT_56443_TCP_PORT: "56443",
      KUBERNETES_PORT_56443_TCP_ADDR: "127.0.0.1",
    });
    expect(kubernetesServiceEnv("https://[::1]").KUBERNETES_SERVICE_PORT).toBe("443");
  });

  test("refuses an API server off loopback: no pod traffic may leave the machine", () => {
    expect(() => kubernetesServiceEnv("https://10.0.0.1:443")).toThrow("on loopback");
    expect(() => kubernetesServiceEnv("https://kubernetes.default.svc")).toThrow("on loopback");
  });
});

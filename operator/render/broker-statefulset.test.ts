import type { V1Container, V1StatefulSet } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { MessageBrokerSpecInput } from "../api/v1alpha1/index.ts";
import { renderBrokerStatefulSet } from "./broker-statefulset.ts";
import { configHashAnnotation } from "./config-hash.ts";
import { workersAnnotation } from "./workers.ts";
import {
  brokerFixture,
  contextFixture,
  managedPostgresSpec,
  plaintextSpec,
} from "../test/fixtures.ts";

const render = (spec: MessageBrokerSpecInput = {}, ctx = contextFixture()) =>
  renderBrokerStatefulSet(brokerFixture(spec), ctx);
const podSpec = (sts: V1StatefulSet) => sts.spec?.template.spec;
const brokerContainer = (sts: V1StatefulSet): V1Container => {
  const container = podSpec(sts)?.containers.find((c) => c.name === "broker");
  if (!container) throw new Error("no broker container");
  return container;
};
const env = (sts: V1StatefulSet) => brokerContainer(sts).env ?? [];
const envNames = (sts: V1StatefulSet) => env(sts).map((e) => e.name);
const hash = (sts: V1StatefulSet) =>
  sts.spec?.template.metadata?.annotations?.[configHashAnnotation];

describe("renderBrokerStatefulSet", () => {
  it("runs the pods in parallel behind the headless Service, at the replicas the operator steps", () => {
    const sts = render(
      { replicas: 3, ...managedPostgresSpec },
      contextFixture({ statefulSetReplicas: 2 }),
    );
    expect(sts.metadata).toMatchObject({ name: "orders", namespace: "shop" });
    expect(sts.spec).toMatchObject({
      replicas: 2,
      serviceName: "orders-headless",
      podManagementPolicy: "Parallel",
      selector: {
        matchLabels: {
          "app.kubernetes.io/name": "herald-broker",
          "app.kubernetes.io/instance": "orders",
        },
      },
    });
    expect(podSpec(sts)?.serviceAccountName).toBe("orders-broker");
  });

  it("probes /healthz for liveness and /readyz for readiness on the HTTP port", () => {
    const container = brokerContainer(render());
    expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(env(render())).toContainEqual({ name: "HERALD_CLUSTER_ADDR", value: "0.0.0.0:50052" });
    expect(container.ports?.map((p) => [p.name, p.containerPort])).toEqual([
      ["grpc", 50051],
      ["cluster", 50052],
      ["http", 9464],
    ]);
  });

  it("runs every container under the restricted security profile", () => {
    const sts = render({ rateLimit: { enabled: true } });
    expect(podSpec(sts)?.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    const containers = [
      ...(podSpec(sts)?.initContainers ?? []),
      ...(podSpec(sts)?.containers ?? []),
    ];
    expect(containers).toHaveLength(2);
    for (const container of containers) {
      expect(container.securityContext, container.name).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
    }
  });

  it("reads settings from the broker ConfigMap and states identity and membership as env", () => {
    const sts = render();
    expect(brokerContainer(sts).envFrom).toEqual([{ configMapRef: { name: "orders-config" } }]);
    expect(env(sts).slice(0, 2)).toEqual([
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    ]);
    expect(env(sts)).toContainEqual({
      name: "HERALD_MEMBERSHIP_CONFIGMAP",
      value: "orders-membership",
    });
    expect(env(sts)).toContainEqual({ name: "HERALD_GRPC_ADDR", value: "0.0.0.0:50051" });
    expect(env(sts)).toContainEqual({ name: "HERALD_HTTP_ADDR", value: "0.0.0.0:9464" });
  });

  it("listens for the gateway on the web port only when spec.web is on", () => {
    expect(envNames(render())).not.toContain("HERALD_WEB_ADDR");
    const sts = render({ web: { enabled: true } });
    expect(env(sts)).toContainEqual({ name: "HERALD_WEB_ADDR", value: "0.0.0.0:8080" });
    expect(brokerContainer(sts).ports?.map((p) => [p.name, p.containerPort])).toEqual([
      ["grpc", 50051],
      ["cluster", 50052],
      ["http", 9464],
      ["web", 8080],
    ]);
  });

  it("renders nothing new for one worker, so that existing pods do not roll", () => {
    for (const spec of [{}, { workers: 1 }, { resources: { limits: { cpu: "500m" } } }]) {
      const sts = render(spec);
      expect(envNames(sts).filter((name) => name.startsWith("HERALD_WORKER"))).toEqual([]);
      expect(sts.spec?.template.metadata?.annotations).not.toHaveProperty(workersAnnotation);
    }
  });

  it("starts several workers, each with its own listeners instead of the cluster port", () => {
    const sts = render({ ...managedPostgresSpec, workers: 3 });
    expect(sts.spec?.template.metadata?.annotations?.[workersAnnotation]).toBe("3");
    expect(env(sts)).toContainEqual({ name: "HERALD_WORKERS", value: "3" });
    expect(env(sts)).toContainEqual({ name: "HERALD_WORKER_GRPC_ADDR", value: "0.0.0.0:50100" });
    expect(env(sts)).toContainEqual({
      name: "HERALD_WORKER_CLUSTER_ADDR",
      value: "0.0.0.0:50200",
    });
    // The broker refuses HERALD_CLUSTER_ADDR with several workers.
    expect(envNames(sts)).not.toContain("HERALD_CLUSTER_ADDR");
    expect(env(sts)).toContainEqual({ name: "HERALD_GRPC_ADDR", value: "0.0.0.0:50051" });
    expect(brokerContainer(sts).ports?.map((p) => [p.name, p.containerPort])).toEqual([
      ["grpc", 50051],
      ["worker-grpc", 50100],
      ["worker-cluster", 50200],
      ["http", 9464],
    ]);
  });

  it("takes store credentials only through secretKeyRef", () => {
    const sts = render(managedPostgresSpec);
    expect(env(sts)).toContainEqual({
      name: "PGPASSWORD",
      valueFrom: { secretKeyRef: { name: "orders-postgres-credentials", key: "password" } },
    });
    expect(JSON.stringify(sts)).not.toContain("s3cret-password");
  });

  it("uses the operator's broker image unless the spec names one", () => {
    expect(brokerContainer(render()).image).toBe("herald-broker:0.1.0");
    expect(
      brokerContainer(render({ image: "registry.example/herald:dev", imagePullPolicy: "Always" })),
    ).toMatchObject({
      image: "registry.example/herald:dev",
      imagePullPolicy: "Always",
    });
  });

  it("applies resources, with integer quantities as strings", () => {
    expect(
      brokerContainer(render({ resources: { requests: { cpu: 2 }, limits: { memory: "1Gi" } } }))
        .resources,
    ).toEqual({
      requests: { cpu: "2" },
      limits: { memory: "1Gi" },
    });
  });

  it("applies the pod template overrides, keeping Herald's labels", () => {
    // These pass to the pod spec unchanged.
    const scheduling = {
      nodeSelector: { disk: "ssd" },
      affinity: { podAntiAffinity: {} },
      tolerations: [
        { key: "dedicated", operator: "Equal", value: "brokers", effect: "NoSchedule" },
      ],
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "ScheduleAnyway" },
      ],
      priorityClassName: "high",
      terminationGracePeriodSeconds: 45,
    } as const;
    const sts = render({
      podTemplate: {
        ...scheduling,
        tolerations: [...scheduling.tolerations],
        topologySpreadConstraints: [...scheduling.topologySpreadConstraints],
        labels: { team: "payments", "app.kubernetes.io/instance": "hijack" },
        annotations: { "example.com/note": "x" },
        imagePullSecrets: ["registry"],
      },
    });
    const template = sts.spec?.template;
    expect(template?.metadata?.labels).toMatchObject({
      team: "payments",
      "app.kubernetes.io/instance": "orders",
    });
    expect(template?.metadata?.annotations).toMatchObject({ "example.com/note": "x" });
    expect(template?.spec).toMatchObject({
      ...scheduling,
      imagePullSecrets: [{ name: "registry" }],
    });
  });

  describe("config hash", () => {
    const base = hash(render(managedPostgresSpec));

    it("ignores replicas and membership, which brokers take live", () => {
      const scaled = render(
        { ...managedPostgresSpec, replicas: 5 },
        contextFixture({ statefulSetReplicas: 5, membership: { epoch: 9, members: [] } }),
      );
      expect(hash(scaled)).toBe(base);
    });

    it("changes with a setting the brokers read at start", () => {
      expect(
        hash(
          render({
            ...managedPostgresSpec,
            storage: { ...managedPostgresSpec.storage, batch: { maxSize: 10 } },
          }),
        ),
      ).not.toBe(base);
      expect(hash(render({ ...managedPostgresSpec, logLevel: "debug" }))).not.toBe(base);
    });

    it("changes with the Envoy config", () => {
      const limited = hash(
        render({ rateLimit: { enabled: true, requestsPerSecond: 10, burst: 10 } }),
      );
      expect(
        hash(render({ rateLimit: { enabled: true, requestsPerSecond: 20, burst: 20 } })),
      ).not.toBe(limited);
    });
  });

  it("adds the Envoy sidecar and its config volume only with rate limiting on", () => {
    const limited = render({ rateLimit: { enabled: true } });
    expect(podSpec(limited)?.initContainers?.map((c) => [c.name, c.restartPolicy])).toEqual([
      ["envoy", "Always"],
    ]);
    expect(podSpec(limited)?.volumes).toContainEqual({
      name: "envoy-config",
      configMap: { name: "orders-envoy" },
    });
    const plain = render(plaintextSpec);
    expect(podSpec(plain)?.initContainers).toBeUndefined();
    expect(podSpec(plain)?.volumes).toEqual([{ name: "tmp", emptyDir: {} }]);
  });

  it("mounts the certificate and auth file read-only and points the broker at them", () => {
    const secure = render();
    expect(podSpec(secure)?.volumes).toEqual([
      { name: "tmp", emptyDir: {} },
      { name: "tls", secret: { secretName: "orders-tls", defaultMode: 0o444 } },
      { name: "auth", secret: { secretName: "orders-auth", defaultMode: 0o444 } },
    ]);
    expect(podSpec(secure)?.containers[0]?.volumeMounts).toContainEqual({
      name: "tls",
      mountPath: "/var/run/secrets/herald/tls",
      readOnly: true,
    });
    expect(env(secure)).toEqual(
      expect.arrayContaining([
        { name: "HERALD_TLS_CERT_FILE", value: "/var/run/secrets/herald/tls/tls.crt" },
        { name: "HERALD_TLS_KEY_FILE", value: "/var/run/secrets/herald/tls/tls.key" },
        { name: "HERALD_TLS_CLUSTER_CA_FILE", value: "/var/run/secrets/herald/tls/ca.crt" },
        { name: "HERALD_AUTH_FILE", value: "/var/run/secrets/herald/auth/auth.yaml" },
      ]),
    );
    expect(envNames(secure)).not.toContain("HERALD_JWT_ISSUER");
    expect(envNames(render(plaintextSpec)).filter((name) => /TLS|AUTH|JWT/.test(name))).toEqual([]);
  });

  it("accepts the API server's ServiceAccount tokens once the operator knows the issuer", () => {
    const issuer = { issuer: "https://kubernetes.default.svc", jwks: "{}" };
    const withIssuer = render({}, contextFixture({ serviceAccountIssuer: issuer }));
    expect(env(withIssuer)).toEqual(
      expect.arrayContaining([
        { name: "HERALD_JWT_ISSUER", value: "https://kubernetes.default.svc" },
        { name: "HERALD_JWT_AUDIENCE", value: "herald" },
        { name: "HERALD_JWT_JWKS_FILE", value: "/var/run/secrets/herald/jwks/jwks.json" },
      ]),
    );
    expect(podSpec(withIssuer)?.volumes).toContainEqual({
      name: "jwks",
      configMap: { name: "orders-jwks", defaultMode: 0o444 },
    });
  });

  it("mounts the user's own certificate Secret", () => {
    expect(podSpec(render({ tls: { secretName: "my-tls" } }))?.volumes).toContainEqual({
      name: "tls",
      secret: { secretName: "my-tls", defaultMode: 0o444 },
    });
  });

  it("exports traces only when tracing is enabled, after the pod identity it expands", () => {
    expect(envNames(render()).filter((name) => name.startsWith("OTEL_"))).toEqual([]);
    const traced = render({
      tracing: { enabled: true, endpoint: "http://jaeger:4317", samplingRatio: 0.25 },
    });
    const names = envNames(traced);
    expect(names.indexOf("OTEL_RESOURCE_ATTRIBUTES")).toBeGreaterThan(names.indexOf("POD_NAME"));
    expect(env(traced)).toContainEqual({ name: "OTEL_TRACES_SAMPLER_ARG", value: "0.25" });
  });
});

/**
 * One case per field of MessageBroker.spec, each shown on running brokers (or, where the local
 * provider cannot show it, on what reaches the cluster). Six MessageBrokers keep the process
 * count low: `fields` sets nearly every field at once (its certificate from a Secret this test
 * makes), `plain` keeps the defaults as the contrast (the operator's CA, authentication on),
 * `issued` takes its certificate from a cert-manager CA Issuer, `workers` runs two workers in its
 * pod, and `keep` / `drop` (no broker pods) carry the managed stores and deletionPolicy. Every client reaches the brokers as a user's
 * does: over TLS, checking the Service's name, with a MessageBrokerUser's token.
 */
import { credentials, Metadata, status } from "@grpc/grpc-js";
import type {
  V1ConfigMap,
  V1Container,
  V1EnvVar,
  V1NetworkPolicy,
  V1Node,
  V1PersistentVolumeClaim,
  V1Pod,
  V1Secret,
  V1Service,
  V1StatefulSet,
} from "@kubernetes/client-node";
import { Client as CassandraClient } from "cassandra-driver";
import { randomBytes, X509Certificate } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { BrokerClient } from "../../broker/api/gen/broker.ts";
import { HeraldClient, type HeraldClientOptions } from "../../broker/client/herald-client.ts";
import { rendezvousOwner } from "../../broker/cluster/hrw.ts";
import { OtlpReceiver } from "../../broker/telemetry/test/otlp-receiver.ts";
import { createCa, issue, type TestCa, type TestLeaf } from "../../broker/test/certificates.ts";
import {
  messageBrokerSpecSchema,
  type MessageBrokerSpecInput,
  type messageBrokerUserSpecSchema,
} from "../../operator/api/v1alpha1/index.ts";
import { configHashAnnotation } from "../../operator/render/config-hash.ts";
import { serviceMonitorCrd } from "../../operator/test/cluster.ts";
import { createCaIssuer, renewCertificate, type CaIssuer } from "../../testing/cert-manager.ts";
import { checkEnvoyConfig } from "../../testing/envoy-check.ts";
import { connect } from "../../testing/kube-cluster.ts";
import { stateDir } from "../../testing/paths.ts";
import { until } from "../../testing/until.ts";
import { serviceMonitorCrdLock, takeSuiteLock } from "../../testing/suite-lock.ts";
import { startLocalProvider } from "../providers/local.ts";
import { clientOptionsFor, untilAccepted } from "./credentials.ts";
import type { Provider } from "./provider.ts";
import {
  brokerPid,
  clusterView,
  brokerHttp,
  gatewayRequest,
  getObject,
  grpcFailure,
  listObjects,
  mustGet,
  parseMetrics,
  podLogLines,
  secretData,
  servedCertificate,
  type ClusterView,
} from "./spec-fields-support.ts";

const env = inject("testEnv");
const cluster = connect(env);
const suffix = randomBytes(3).toString("hex");
const keyspace = `herald_spec_${suffix}`;
const customImage = "registry.example.com/herald/herald-broker:spec-fields";
const priorityClass = { name: `herald-spec-fields-${suffix}`, value: 4242 };
const crdName = serviceMonitorCrd.metadata.name;
/** The Secret with the certificate `fields` serves, made by this test. */
const ownTlsSecret = "fields-own-tls";

/** The broker pods that serve calls, by MessageBroker. */
const brokerPods = {
  fields: ["fields-0", "fields-1"],
  plain: ["plain-0"],
  issued: ["issued-0"],
} as const;

let provider: Provider;
let receiver: OtlpReceiver;
let crdWasInstalled = false;
let releaseCrdLock: (() => Promise<void>) | undefined;
/** The membership `fields-0` serves, for picking subjects that pod owns. */
let fieldsMembers: ClusterView["members"];
/** The CA and leaf certificate in `fields-own-tls`. */
let ownTls: { ca: TestCa; leaf: TestLeaf };
/** The cert-manager CA Issuer `issued` takes its certificate from. */
let caIssuer: CaIssuer;
/** Per broker: its CA, the Service name to check, and the token of a user with every permission. */
const security = new Map<string, HeraldClientOptions>();

// ---------------------------------------------------------------------------------------------
// The MessageBrokers

function fieldsSpec(): MessageBrokerSpecInput {
  const { host, port, database, credentialsSecret } = provider.postgres;
  return {
    replicas: 2,
    image: customImage,
    imagePullPolicy: "Never",
    logLevel: "debug",
    maxMessageBytes: 2048,
    storage: {
      type: "postgres",
      postgres: {
        external: { host, port, database, credentialsSecret: { name: credentialsSecret } },
      },
      batch: { maxSize: 4, maxDelayMs: 200 },
    },
    retention: { defaultExpirationSeconds: 2, maxExpirationSeconds: 60 },
    deduplication: { windowSeconds: 2 },
    rateLimit: { enabled: true, requestsPerSecond: 50, burst: 80 },
    monitoring: {
      serviceMonitor: { enabled: true, interval: "15s", labels: { release: "prometheus" } },
    },
    tracing: { enabled: true, endpoint: receiver.endpoint, samplingRatio: 0 },
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
    podTemplate: {
      // part-of is Herald's own label: the spec's value must lose.
      labels: { "example.com/team": "messaging", "app.kubernetes.io/part-of": "other" },
      annotations: { "example.com/owner": "spec-fields" },
      nodeSelector: { "herald.dev/process-kubelet": "true" },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [{ key: "kubernetes.io/os", operator: "In", values: ["linux"] }],
              },
            ],
          },
        },
      },
      tolerations: [
        { key: "example.com/dedicated", operator: "Equal", value: "herald", effect: "NoSchedule" },
      ],
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: "kubernetes.io/hostname",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: { "app.kubernetes.io/instance": "fields" } },
        },
      ],
      priorityClassName: priorityClass.name,
      imagePullSecrets: ["registry-credentials"],
      terminationGracePeriodSeconds: 20,
    },
    service: { type: "NodePort", annotations: { "example.com/load-balancer": "internal" } },
    web: { enabled: true, service: { port: 8081 } },
    tls: { secretName: ownTlsSecret },
    auth: { enabled: true },
  };
}

/** Defaults everywhere, on the test environment's Cassandra. */
const plainSpec = (): MessageBrokerSpecInput => ({
  replicas: 1,
  storage: {
    type: "cassandra",
    cassandra: {
      external: {
        contactPoints: [`${env.cassandra.contactPoint}:${env.cassandra.port}`],
        localDataCenter: env.cassandra.localDataCenter,
        keyspace,
      },
    },
  },
});

// No broker pods: only the managed stores' children, whose pods the process kubelet leaves Pending.
const keepSpec: MessageBrokerSpecInput = {
  replicas: 0,
  deletionPolicy: "Retain",
  storage: {
    type: "cassandra",
    cassandra: { managed: { replicas: 2, version: "4.1", storage: "2Gi" } },
  },
};
/** A certificate from cert-manager, otherwise the defaults. */
const issuedSpec = (): MessageBrokerSpecInput => ({
  replicas: 1,
  storage: { type: "memory" },
  tls: { issuerRef: { name: caIssuer.name, kind: "Issuer" } },
});
/** Two workers in its one pod, otherwise the defaults. */
const workersSpec: MessageBrokerSpecInput = {
  replicas: 1,
  storage: { type: "memory" },
  workers: 2,
};
const dropSpec: MessageBrokerSpecInput = {
  replicas: 0,
  deletionPolicy: "Delete",
  storage: { type: "postgres", postgres: { managed: { version: "16", storage: "1Gi" } } },
};

/**
 * `fields`'s own certificate Secret: a CA and a leaf this test makes with the openssl CLI, with
 * the names docs/security.md#certificates asks for and both usages.
 */
async function createOwnTlsSecret(): Promise<{ ca: TestCa; leaf: TestLeaf }> {
  const ns = provider.namespace;
  const ca = createCa("spec-fields");
  const names = ["fields", `fields.${ns}`, `fields.${ns}.svc`, `fields.${ns}.svc.cluster.local`];
  const members = [`*.fields-headless.${ns}.svc`, `*.fields-headless.${ns}.svc.cluster.local`];
  const leaf = issue(
    ca,
    "fields",
    [...names, ...members].map((name) => `DNS:${name}`),
  );
  await provider.kubectl([
    "create",
    "secret",
    "generic",
    ownTlsSecret,
    "--type=kubernetes.io/tls",
    `--from-file=tls.crt=${leaf.certFile}`,
    `--from-file=tls.key=${leaf.keyFile}`,
    `--from-file=ca.crt=${ca.certFile}`,
  ]);
  return { ca, leaf };
}

/** The scenario's user of `broker`, with every permission, accepted by each of its pods. */
async function connectAsScenarioUser(broker: string, pods: readonly string[]): Promise<void> {
  const options = await clientOptionsFor(provider, broker);
  for (const name of pods) {
    await untilAccepted(await provider.podAddress(name), options);
  }
  security.set(broker, options);
}

const manifest = (name: string, spec: MessageBrokerSpecInput) =>
  JSON.stringify({
    apiVersion: "herald.dev/v1alpha1",
    kind: "MessageBroker",
    metadata: { name, namespace: provider.namespace },
    spec,
  });

// ---------------------------------------------------------------------------------------------
// Reading the cluster and the brokers

const pod = (name: string) => mustGet<V1Pod>(provider, "pod", name);
const configMap = async (name: string) =>
  (await mustGet<V1ConfigMap>(provider, "configmap", name)).data ?? {};
const service = (name: string) => mustGet<V1Service>(provider, "service", name);
const statefulSet = (name: string) => mustGet<V1StatefulSet>(provider, "statefulset", name);
const networkPolicy = (name: string) => mustGet<V1NetworkPolicy>(provider, "networkpolicy", name);
const webEndpoint = async (name: string) =>
  (await mustGet<{ status?: { endpoints?: { web?: string } } }>(provider, "messagebroker", name))
    .status?.endpoints?.web;

function container(of: V1Pod, name = "broker"): V1Container {
  const found = of.spec?.containers.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`pod ${of.metadata?.name} has no container ${name}`);
  return found;
}

const envVar = (of: V1Container, name: string): V1EnvVar | undefined =>
  of.env?.find((candidate) => candidate.name === name);

const isReady = (of: V1Pod) =>
  of.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;

async function podIP(name: string): Promise<string> {
  return (await provider.podAddress(name)).replace(/:\d+$/, "");
}

/** How a client of the broker running `podName` connects and authenticates. */
function securityOf(podName: string): HeraldClientOptions {
  const found = security.get(podName.replace(/-\d+$/, ""));
  if (!found) throw new Error(`no client options for ${podName}`);
  return found;
}

async function withClientAt<T>(
  address: string,
  options: HeraldClientOptions,
  work: (client: HeraldClient) => Promise<T>,
) {
  const client = new HeraldClient(address, options);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

async function withClient<T>(podName: string, work: (client: HeraldClient) => Promise<T>) {
  return withClientAt(await provider.podAddress(podName), securityOf(podName), work);
}

/** A fresh subject that `fields-0` owns, so its calls there are never forwarded. */
function ownedSubject(prefix: string): string {
  for (let i = 0; i < 1000; i++) {
    const subject = `${prefix}.${suffix}.${i}`;
    if (rendezvousOwner(subject, fieldsMembers)?.name === "fields-0") return subject;
  }
  throw new Error("no subject owned by fields-0 in 1000 tries");
}

const bytes = (length: number) => Buffer.alloc(length, "x");

/** Brokers settled: the spec's replicas all Ready. */
async function readyBrokers(name: string, replicas: number) {
  return until(
    `${name}: ${replicas} ready broker pods`,
    async () => {
      const pods = await listObjects<V1Pod>(
        provider,
        "pods",
        `app.kubernetes.io/instance=${name},app.kubernetes.io/component=broker`,
      );
      const ready = pods.filter(
        (candidate) => isReady(candidate) && !candidate.metadata?.deletionTimestamp,
      );
      return ready.length === replicas && pods.length === replicas ? pods : undefined;
    },
    { timeoutMs: 150_000, intervalMs: 500 },
  );
}

/** How a fetch of `id` ends now: the body, or the failed call's status. */
async function fetchOutcome(podName: string, subject: string, id: number) {
  return withClient(podName, (client) =>
    client.fetch(subject, id).then(
      (message) => ({ ok: true as const, body: message.body.toString() }),
      (err: { code: number; details: string }) => ({
        ok: false as const,
        code: err.code,
        details: err.details,
      }),
    ),
  );
}

/**
 * Publishes a message without expiry (expirationSeconds 0), fetches it at once, then polls until
 * a fetch reports it expired; resolves with how long after the publish that was.
 */
async function publishAndAwaitExpiry(podName: string, subject: string, timeoutMs: number) {
  const published = Date.now();
  const id = await withClient(podName, (client) => client.publish(subject, "short-lived"));
  expect(await fetchOutcome(podName, subject, id)).toEqual({ ok: true, body: "short-lived" });
  const expired = await until(
    `${subject}#${id} expired on ${podName}`,
    async () => {
      const outcome = await fetchOutcome(podName, subject, id);
      return outcome.ok ? undefined : outcome;
    },
    { timeoutMs, intervalMs: 250 },
  );
  // broker/README.md: a Fetch of an expired id is INVALID_ARGUMENT "… has expired".
  expect(expired.code).toBe(status.INVALID_ARGUMENT);
  expect(expired.details).toMatch(/has expired/);
  return Date.now() - published;
}

/**
 * The slowest acknowledgement of 3 publishes sent at once on one stream (a warm subject, under
 * maxSize): the first starts a write, the others arrive during it and wait for their batch.
 * Repeats up to 3 bursts while the slowest stays under `enoughMs`.
 */
/** The slowest answer of a burst of three pipelined publishes, in ms. */
async function burstWorst(client: HeraldClient, subject: string, label: string) {
  const publisher = client.publisher();
  const started = performance.now();
  const latencies = await Promise.all(
    [0, 1, 2].map((i) =>
      publisher
        .publish(subject, `burst ${label}.${i}`, { ttlSeconds: 60 })
        .then(() => performance.now() - started),
    ),
  );
  await publisher.close();
  return Math.max(...latencies);
}

/**
 * Over up to three bursts: the slowest answer (`pick` max, stopping once one reaches `enoughMs`),
 * or the burst whose slowest answer was quickest (`pick` min, so one burst slowed by a busy
 * machine does not stand for the broker's linger).
 */
async function burstLatency(podName: string, subject: string, pick: "max" | "min", enoughMs = 0) {
  return withClient(podName, async (client) => {
    // Loads the subject's last id, so the burst goes straight to the batcher.
    await client.publish(subject, "warm-up", { ttlSeconds: 60 });
    const worsts: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      worsts.push(await burstWorst(client, subject, String(attempt)));
      if (pick === "max" && Math.max(...worsts) >= enoughMs) break;
    }
    return pick === "max" ? Math.max(...worsts) : Math.min(...worsts);
  });
}

const logFile = (podName: string) =>
  join(stateDir, "e2e", provider.namespace, `${provider.namespace}_${podName}.log`);

/** The pods (and their ports) that a ServiceMonitor's endpoint leads to, as Prometheus Operator resolves it. */
async function serviceMonitorTargets(monitor: ServiceMonitorView) {
  const selector = Object.entries(monitor.spec.selector.matchLabels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  const services = await listObjects<V1Service>(provider, "services", selector);
  const targets: { pod: string; ip: string; port: number }[] = [];
  for (const svc of services) {
    const port = svc.spec?.ports?.find((p) => p.name === monitor.spec.endpoints[0]?.port);
    if (!port) continue;
    const podSelector = Object.entries(svc.spec?.selector ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(",");
    for (const target of await listObjects<V1Pod>(provider, "pods", podSelector)) {
      const containerPort = target.spec?.containers
        .flatMap((c) => c.ports ?? [])
        .find((p) => p.name === port.targetPort || p.containerPort === port.targetPort);
      if (containerPort && target.status?.podIP) {
        targets.push({
          pod: target.metadata?.name ?? "",
          ip: target.status.podIP,
          port: containerPort.containerPort,
        });
      }
    }
  }
  return { services, targets };
}

interface ServiceMonitorView {
  metadata: { labels?: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    endpoints: { port: string; path: string; interval: string }[];
  };
}

const tokenBucketSchema = z.object({
  max_tokens: z.number(),
  tokens_per_fill: z.number(),
  fill_interval: z.string(),
});

/** The token bucket of the local_ratelimit filter in the rendered Envoy bootstrap. */
function tokenBucket(bootstrap: unknown): z.infer<typeof tokenBucketSchema> {
  const found: unknown[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        if (key === "token_bucket") found.push(inner);
        else walk(inner);
      }
    }
  };
  walk(bootstrap);
  expect(found).toHaveLength(1);
  return tokenBucketSchema.parse(found[0]);
}

async function envoyBootstrap() {
  const text = (await configMap("fields-envoy"))["envoy.yaml"];
  if (text === undefined) throw new Error("fields-envoy has no envoy.yaml");
  return text;
}

interface TracedRound {
  traceId: string;
  tracedSubject: string;
  untracedSubject: string;
}

let tracedRound: Promise<TracedRound> | undefined;

/** The generated gRPC client, for metadata HeraldClient does not send, over the broker's TLS. */
async function rawClient(podName: string): Promise<BrokerClient> {
  const { tls } = securityOf(podName);
  const serverName = tls?.serverName ?? "";
  return new BrokerClient(await provider.podAddress(podName), credentials.createSsl(tls?.ca), {
    "grpc.ssl_target_name_override": serverName,
    "grpc.default_authority": serverName,
  });
}

/**
 * Once for the tracing cases: an unsampled publish, then one in a sampled W3C trace, both served
 * by fields-0; resolves once the traced call's server span reached the receiver.
 */
function traceRound(): Promise<TracedRound> {
  tracedRound ??= (async () => {
    const traceId = randomBytes(16).toString("hex");
    const tracedSubject = ownedSubject("traced");
    const untracedSubject = ownedSubject("untraced");
    await withClient("fields-0", (client) =>
      client.publish(untracedSubject, "no trace", { ttlSeconds: 60 }),
    );
    const raw = await rawClient("fields-0");
    try {
      const metadata = new Metadata();
      metadata.set("authorization", `Bearer ${securityOf("fields-0").token ?? ""}`);
      metadata.set("traceparent", `00-${traceId}-${randomBytes(8).toString("hex")}-01`);
      await new Promise<void>((resolve, reject) =>
        raw.publish(
          {
            subject: tracedSubject,
            body: Buffer.from("traced"),
            expirationSeconds: 60,
            idempotencyKey: "",
          },
          metadata,
          { deadline: Date.now() + 10_000 },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    } finally {
      raw.close();
    }
    // The SDK's batch span processor exports every 5 s by default.
    await until(
      "the traced Publish span at the receiver",
      () =>
        receiver.spans.some(
          (span) => span.traceId === traceId && span.name === "broker.Broker/Publish",
        ),
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    return { traceId, tracedSubject, untracedSubject };
  })();
  return tracedRound;
}

// ---------------------------------------------------------------------------------------------
// Certificates and users

const brokerWorkers = async (name: string) =>
  (await mustGet<{ status?: { workers?: number } }>(provider, "messagebroker", name)).status
    ?.workers;

const securityStatus = async (name: string) =>
  (
    await mustGet<{ status?: { security?: { tls?: string; auth?: string } } }>(
      provider,
      "messagebroker",
      name,
    )
  ).status?.security;

/** One entry of a Secret's decoded data, which must be there. */
function secretEntry(data: Record<string, Buffer>, key: string): Buffer {
  const value = data[key];
  if (value === undefined) throw new Error(`no ${key} in the Secret`);
  return value;
}

/** Whether the CA certificate (the first of a PEM bundle) signed `certificate`. */
function issuedBy(certificate: X509Certificate, caPem: Buffer): boolean {
  const ca = new X509Certificate(caPem);
  return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
}

/** The certificate a new connection to the pod's gRPC port gets, checked for the Service name. */
async function servedBy(podName: string, ca: Buffer): Promise<X509Certificate> {
  const serverName = securityOf(podName).tls?.serverName ?? "";
  return servedCertificate(await provider.podAddress(podName), ca, serverName);
}

/** The fields of cert-manager's Certificate this test reads. */
interface CertificateView {
  spec: {
    secretName: string;
    dnsNames: string[];
    issuerRef: { name: string; kind: string; group: string };
  };
}

/** The serial of the certificate in a Secret's tls.crt. */
async function secretSerial(name: string): Promise<string> {
  return new X509Certificate(secretEntry(await secretData(provider, name), "tls.crt")).serialNumber;
}

/**
 * Rotates the certificate in Secret `secret` with `rotate`, a Subscribe stream to `podName` open
 * across it, and shows the rotation on the same broker process: new connections get the Secret's
 * new certificate (still of `ca`), and the stream receives a message published after it. Resolves
 * how long after `rotate` began the new certificate was first served.
 */
async function rotatedWithoutRestart(
  podName: string,
  secret: string,
  ca: Buffer,
  rotate: () => Promise<void>,
): Promise<number> {
  const pid = brokerPid(await pod(podName));
  const before = await servedBy(podName, ca);
  const subject = `rotation.${suffix}.${podName}`;
  const received: string[] = [];
  const abort = new AbortController();
  const stream = withClient(podName, async (client) => {
    const startId = await client.publish(subject, "before", { ttlSeconds: 60 });
    for await (const message of client.subscribe(subject, { startId, signal: abort.signal })) {
      received.push(message.body.toString());
    }
  });
  await until(`the stream on ${podName} open`, () => received.includes("before"));
  const started = Date.now();
  await rotate();
  const served = await until(
    `${podName} serving a new certificate`,
    async () => {
      const now = await servedBy(podName, ca);
      return now.serialNumber !== before.serialNumber ? now : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  const ms = Date.now() - started;
  await withClient(podName, (client) => client.publish(subject, "after", { ttlSeconds: 60 }));
  await until(`the stream opened before the rotation receiving "after"`, () =>
    received.includes("after"),
  );
  abort.abort();
  await stream;
  expect(received).toEqual(["before", "after"]);
  expect(brokerPid(await pod(podName))).toBe(pid);
  expect(served.serialNumber).toBe(await secretSerial(secret));
  expect(issuedBy(served, ca)).toBe(true);
  return ms;
}

type PlainUserSpec = Omit<z.input<typeof messageBrokerUserSpecSchema>, "broker">;

/** Creates or changes a MessageBrokerUser of plain. */
async function applyUser(name: string, spec: PlainUserSpec): Promise<void> {
  await provider.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "herald.dev/v1alpha1",
      kind: "MessageBrokerUser",
      metadata: { name, namespace: provider.namespace },
      spec: { broker: "plain", ...spec },
    }),
  );
}

/** The token the operator generated for a user of plain, once its credentials Secret exists. */
async function userToken(user: string): Promise<string> {
  const token = await until(
    `the credentials of ${user}`,
    async () => (await getObject<V1Secret>(provider, "secret", `${user}-credentials`))?.data?.token,
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  return Buffer.from(token, "base64").toString("utf8");
}

/**
 * A user naming a ServiceAccount: a token the API server mints for that account with the audience
 * herald publishes within the user's permissions, and only there. The brokers trust the API server
 * as a token issuer from the start, so the user's arrival replaces no pod.
 */
async function serviceAccountUserPublishes(): Promise<void> {
  await provider.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "plain-app", namespace: provider.namespace },
    }),
  );
  const before = await pod("plain-0");
  expect(envVar(container(before), "HERALD_JWT_ISSUER")).toBeDefined();
  await applyUser("plain-app", {
    serviceAccount: "plain-app",
    permissions: { publish: ["spec.sa.>"] },
  });
  const token = (
    await provider.kubectl(["create", "token", "plain-app", "--audience", "herald"])
  ).trim();
  const address = await provider.podAddress("plain-0");
  const app = { tls: securityOf("plain-0").tls, token };
  await untilAccepted(address, app);
  await withClientAt(address, app, async (client) => {
    // The brokers trust the issuer from the start, so the token authenticates at once; its
    // subject maps to the user once the brokers reload their auth file.
    const id = await until(
      "the ServiceAccount's token mapped to its user",
      () =>
        client.publish(`spec.sa.${suffix}`, "as a ServiceAccount").catch((err: unknown) => {
          const unmapped = `system:serviceaccount:${provider.namespace}:plain-app may not`;
          if (err instanceof Error && err.message.includes(unmapped)) return undefined;
          throw err;
        }),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(id).toBeGreaterThan(0);
    const denied = await grpcFailure(client.publish(`spec.other.${suffix}`, "beyond its user"));
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(denied.details).toBe(`plain-app may not publish "spec.other.${suffix}"`);
  });
  expect((await pod("plain-0")).metadata?.uid).toBe(before.metadata?.uid);
}

async function withPostgres<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(env.postgres.url);
  url.pathname = `/${provider.postgres.database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function withCassandra<T>(work: (client: CassandraClient) => Promise<T>): Promise<T> {
  const client = new CassandraClient({
    contactPoints: [env.cassandra.contactPoint],
    protocolOptions: { port: env.cassandra.port },
    localDataCenter: env.cassandra.localDataCenter,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.shutdown();
  }
}

const claimsOf = (instance: string, app: string) =>
  listObjects<V1PersistentVolumeClaim>(
    provider,
    "pvc",
    `app.kubernetes.io/name=${app},app.kubernetes.io/instance=${instance}`,
  );

// ---------------------------------------------------------------------------------------------
// The table: one case per field

interface FieldCase {
  /** A top-level key of messageBrokerSpecSchema, or `parent.child` below an expanded field. */
  field: string;
  /** What the check shows, as the test names it. */
  shows: string;
  /** Why the local provider cannot show the field's effect; the check then covers what reaches the cluster. */
  unobservable?: string;
  timeoutMs?: number;
  check: () => Promise<void>;
}

/** Object fields whose sub-fields each get a case. */
const expandedFields = [
  "storage",
  "storage.batch",
  "retention",
  "deduplication",
  "rateLimit",
  "monitoring",
  "tracing",
  "podTemplate",
  "service",
  "web",
  "tls",
];

const cases: FieldCase[] = [
  {
    field: "replicas",
    shows: "2 Ready pods, each a member of a 2-member cluster in GET /cluster; the default gives 1",
    async check() {
      const pods = await readyBrokers("fields", 2);
      expect(pods.map((p) => p.metadata?.name).sort()).toEqual(["fields-0", "fields-1"]);
      for (const name of ["fields-0", "fields-1"]) {
        const view = await clusterView(await podIP(name));
        expect(view.self).toBe(name);
        expect(view.epoch).toBeGreaterThanOrEqual(1);
        expect(view.members.map((m) => m.name).sort()).toEqual(["fields-0", "fields-1"]);
      }
      const plain = await clusterView(await podIP("plain-0"));
      expect(plain.members.map((m) => m.name)).toEqual(["plain-0"]);
    },
  },
  {
    field: "workers",
    shows:
      "workers-0 runs 2 workers, each a member <pod>~<i> on its own gRPC and cluster ports, and status.workers says 2; without a CPU limit a pod is one member",
    timeoutMs: 120_000,
    async check() {
      const [running] = await readyBrokers("workers", 1);
      if (!running) throw new Error("no workers pod");
      expect(running.metadata?.annotations?.["herald.dev/workers"]).toBe("2");
      expect(envVar(container(running), "HERALD_WORKERS")?.value).toBe("2");
      expect(envVar(container(running), "HERALD_CLUSTER_ADDR")).toBeUndefined();
      const view = await until(
        "workers-0 serving its two workers' membership",
        async () => {
          const current = await clusterView(await podIP("workers-0"));
          return current.members.length === 2 ? current : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      const host = `workers-0.workers-headless.${provider.namespace}.svc.cluster.local`;
      expect(view.members).toEqual([
        { name: "workers-0~0", address: `${host}:50100` },
        { name: "workers-0~1", address: `${host}:50101` },
      ]);
      expect(await brokerWorkers("workers")).toBe(2);
      expect((await pod("plain-0")).metadata?.annotations?.["herald.dev/workers"]).toBeUndefined();
      expect(await brokerWorkers("plain")).toBe(1);
    },
  },
  {
    field: "image",
    shows: "the broker container runs the spec's image; the default is the operator's",
    async check() {
      for (const name of ["fields-0", "fields-1"]) {
        const running = await pod(name);
        expect(container(running).image).toBe(customImage);
        const state = running.status?.containerStatuses?.find((s) => s.name === "broker")?.state;
        expect(state?.running).toBeDefined();
      }
      expect(container(await pod("plain-0")).image).not.toBe(customImage);
    },
  },
  {
    field: "imagePullPolicy",
    shows: "Never on the broker container; the API default otherwise",
    unobservable: "the process kubelet pulls no images",
    async check() {
      expect(container(await pod("fields-0")).imagePullPolicy).toBe("Never");
      expect(container(await pod("plain-0")).imagePullPolicy).not.toBe("Never");
    },
  },
  {
    field: "logLevel",
    shows: "debug: a failed call is logged at level 20; at the default (info) it is not",
    async check() {
      const subject = ownedSubject("missing");
      for (const name of ["fields-0", "plain-0"]) {
        const outcome = await fetchOutcome(name, subject, 424242);
        expect(outcome.ok).toBe(false);
      }
      const debug = await until(
        "a debug line in fields-0's log",
        async () =>
          (await podLogLines(logFile("fields-0"))).find(
            (line) => line.level === 20 && line.msg === "call failed",
          ),
        { timeoutMs: 10_000, intervalMs: 250 },
      );
      expect(debug).toBeDefined();
      const plain = await podLogLines(logFile("plain-0"));
      expect(plain.some((line) => line.level === 30)).toBe(true);
      expect(plain.filter((line) => (line.level ?? 30) < 30)).toEqual([]);
    },
  },
  {
    field: "maxMessageBytes",
    shows:
      "2048: a 2048-byte body is stored, 2049 bytes is RESOURCE_EXHAUSTED naming 2048; the default takes it",
    async check() {
      const subject = ownedSubject("sized");
      await withClient("fields-0", async (client) => {
        expect(await client.publish(subject, bytes(2048), { ttlSeconds: 60 })).toBeGreaterThan(0);
        const refused = await grpcFailure(client.publish(subject, bytes(2049), { ttlSeconds: 60 }));
        expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
        expect(refused.details).toContain("2048");
      });
      await withClient("plain-0", async (client) => {
        expect(await client.publish(subject, bytes(2049))).toBeGreaterThan(0);
      });
    },
  },
  {
    field: "storage.type",
    shows: "postgres and cassandra brokers keep each message in that store",
    async check() {
      expect((await configMap("fields-config")).HERALD_STORE).toBe("postgres");
      expect((await configMap("plain-config")).HERALD_STORE).toBe("cassandra");
      const subject = ownedSubject("stored");
      const inPostgres = await withClient("fields-0", (c) =>
        c.publish(subject, "in postgres", { ttlSeconds: 60 }),
      );
      const rows = await withPostgres((client) =>
        client.query<{ id: string; body: Buffer }>(
          "SELECT id, body FROM herald_messages WHERE subject = $1",
          [subject],
        ),
      );
      expect(rows.rows.map((row) => [Number(row.id), row.body.toString()])).toEqual([
        [inPostgres, "in postgres"],
      ]);
      const inCassandra = await withClient("plain-0", (c) => c.publish(subject, "in cassandra"));
      const head = await withCassandra((client) =>
        client.execute(
          `SELECT last_id FROM ${keyspace}.subject_heads WHERE subject = ?`,
          [subject],
          {
            prepare: true,
          },
        ),
      );
      expect(Number(String(head.first()?.get("last_id")))).toBe(inCassandra);
    },
  },
  {
    field: "storage.postgres",
    shows:
      "external: brokers use the named server, database and credentials Secret; managed: a PostgreSQL StatefulSet of the given version and size",
    async check() {
      const { host, port, database, credentialsSecret } = provider.postgres;
      expect((await configMap("fields-config")).HERALD_POSTGRES_URL).toBe(
        `postgres://${host}:${port}/${database}`,
      );
      const broker = container(await pod("fields-0"));
      expect(envVar(broker, "PGUSER")?.valueFrom?.secretKeyRef).toMatchObject({
        name: credentialsSecret,
      });
      const tables = await withPostgres((client) =>
        client.query<{ n: string }>("SELECT count(*) AS n FROM herald_messages"),
      );
      expect(Number(tables.rows[0]?.n)).toBeGreaterThan(0);

      const managed = await statefulSet("drop-postgres");
      expect(managed.spec?.template.spec?.containers[0]?.image).toMatch(/^postgres:16$/);
      expect(managed.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage).toBe(
        "1Gi",
      );
      expect((await configMap("drop-config")).HERALD_POSTGRES_URL).toBe(
        `postgres://drop-postgres.${provider.namespace}.svc:5432/herald`,
      );
      expect(await getObject(provider, "secret", "drop-postgres-credentials")).toBeDefined();
    },
  },
  {
    field: "storage.cassandra",
    shows:
      "external: the broker made its keyspace on the named contact point; managed: a Cassandra StatefulSet of the given size",
    async check() {
      const config = await configMap("plain-config");
      expect(config).toMatchObject({
        HERALD_CASSANDRA_CONTACT_POINTS: `${env.cassandra.contactPoint}:${env.cassandra.port}`,
        HERALD_CASSANDRA_LOCAL_DC: env.cassandra.localDataCenter,
        HERALD_CASSANDRA_KEYSPACE: keyspace,
      });
      const tables = await withCassandra((client) =>
        client.execute(
          "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?",
          [keyspace],
          { prepare: true },
        ),
      );
      // The store's own tables (consumer groups and deduplication add more).
      expect(tables.rows.map((row) => String(row.get("table_name")))).toEqual(
        expect.arrayContaining(["messages", "subject_heads"]),
      );

      const managed = await statefulSet("keep-cassandra");
      expect(managed.spec?.replicas).toBe(2);
      expect(managed.spec?.template.spec?.containers[0]?.image).toMatch(/^cassandra:4\.1$/);
      expect(managed.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage).toBe(
        "2Gi",
      );
      expect((await configMap("keep-config")).HERALD_CASSANDRA_CONTACT_POINTS).toBe(
        `keep-cassandra.${provider.namespace}.svc:9042`,
      );
    },
  },
  {
    field: "storage.batch.maxSize",
    shows:
      "4: 41 pipelined publishes go in batches of at most 4 (herald_batch_messages), some of them full",
    async check() {
      expect((await configMap("fields-config")).HERALD_BATCH_MAX_SIZE).toBe("4");
      const ip = await podIP("fields-0");
      const before = parseMetrics(await brokerHttp(ip, "/metrics"));
      const subject = ownedSubject("batched");
      await withClient("fields-0", async (client) => {
        const publisher = client.publisher();
        const ids = await Promise.all(
          Array.from({ length: 41 }, (_, i) =>
            publisher.publish(subject, `m${i}`, { ttlSeconds: 60 }),
          ),
        );
        await publisher.close();
        expect(new Set(ids).size).toBe(41);
      });
      const after = parseMetrics(await brokerHttp(ip, "/metrics"));
      const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
      const batches = delta("herald_batch_messages_count");
      expect(delta("herald_batch_messages_sum")).toBe(41);
      expect(batches).toBeGreaterThanOrEqual(Math.ceil(41 / 4));
      expect(delta('herald_batch_messages_bucket{le="4"}')).toBe(batches);
      // Batches of 3 or 4 formed: the limit, not an idle broker, is what capped them.
      expect(delta('herald_batch_messages_bucket{le="2"}')).toBeLessThan(batches);
    },
  },
  {
    field: "storage.batch.maxDelayMs",
    shows: "200: publishes that arrive during a write wait about 200 ms for their batch",
    async check() {
      expect((await configMap("fields-config")).HERALD_BATCH_MAX_DELAY_MS).toBe("200");
      const slowest = await burstLatency("fields-0", ownedSubject("lingering"), "max", 150);
      const plain = await burstLatency("plain-0", ownedSubject("lingering"), "min");
      process.stderr.write(
        `spec-fields: slowest publish of a burst ${slowest.toFixed(0)} ms (maxDelayMs 200), ${plain.toFixed(0)} ms (default 5)\n`,
      );
      expect(slowest).toBeGreaterThanOrEqual(150);
      // The contrast: at the default linger the same burst is answered well within that.
      expect(plain).toBeLessThan(150);
    },
  },
  {
    field: "deletionPolicy",
    shows:
      "deleting the MessageBrokers: Retain keeps the managed store's PVCs, Delete removes them",
    timeoutMs: 120_000,
    async check() {
      const kept = await until("keep's Cassandra PVC", async () => {
        const claims = await claimsOf("keep", "cassandra");
        return claims.length > 0 ? claims : undefined;
      });
      const dropped = await until("drop's PostgreSQL PVC", async () => {
        const claims = await claimsOf("drop", "postgresql");
        return claims.length > 0 ? claims : undefined;
      });
      expect(
        (
          await getObject<{ metadata: { finalizers?: string[] } }>(
            provider,
            "messagebroker",
            "drop",
          )
        )?.metadata.finalizers,
      ).toContain("herald.dev/pvc-cleanup");

      await provider.kubectl(["delete", "messagebroker", "keep", "drop", "--wait=false"]);
      await until(
        "keep and drop deleted",
        async () =>
          (await getObject(provider, "messagebroker", "keep")) === undefined &&
          (await getObject(provider, "messagebroker", "drop")) === undefined,
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      // No pvc-protection controller runs here: a deleted claim keeps its finalizer, marked for deletion.
      await until(
        "drop's PVCs deleted",
        async () =>
          (await claimsOf("drop", "postgresql")).every(
            (claim) => claim.metadata?.deletionTimestamp,
          ),
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(dropped.length).toBeGreaterThan(0);
      await until(
        "keep's StatefulSet garbage-collected",
        async () => (await getObject(provider, "statefulset", "keep-cassandra")) === undefined,
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      const survivors = await claimsOf("keep", "cassandra");
      expect(survivors.map((claim) => claim.metadata?.name).sort()).toEqual(
        kept.map((claim) => claim.metadata?.name).sort(),
      );
      for (const claim of survivors) expect(claim.metadata?.deletionTimestamp).toBeUndefined();
    },
  },
  {
    field: "retention.defaultExpirationSeconds",
    shows:
      "2: a publish without expiry expires after ~2 s; patched onto a running broker, new messages expire too",
    timeoutMs: 180_000,
    async check() {
      const plainBefore = ownedSubject("kept-forever");
      const [fieldsExpiry, foreverId] = await Promise.all([
        publishAndAwaitExpiry("fields-0", ownedSubject("short-lived"), 10_000),
        (async () => {
          const id = await withClient("plain-0", (c) => c.publish(plainBefore, "forever"));
          await new Promise((resolve) => setTimeout(resolve, 3500));
          // No retention: expirationSeconds 0 means never.
          expect(await fetchOutcome("plain-0", plainBefore, id)).toEqual({
            ok: true,
            body: "forever",
          });
          return id;
        })(),
      ]);
      expect(fieldsExpiry).toBeGreaterThanOrEqual(1000);

      // The acceptance item: retention patched onto a running MessageBroker.
      const before = await pod("plain-0");
      const oldHash = (await statefulSet("plain")).spec?.template.metadata?.annotations?.[
        configHashAnnotation
      ];
      const patched = Date.now();
      await provider.kubectl([
        "patch",
        "mb",
        "plain",
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { retention: { defaultExpirationSeconds: 2 } } }),
      ]);
      expect(
        await until(
          "plain-config with the default expiry",
          async () => (await configMap("plain-config")).HERALD_DEFAULT_EXPIRATION_SECONDS,
        ),
      ).toBe("2");
      // The new settings reach the broker by a rollout of its pod.
      await until(
        "plain-0 replaced with the new config and Ready",
        async () => {
          const hash = (await statefulSet("plain")).spec?.template.metadata?.annotations?.[
            configHashAnnotation
          ];
          const now = await getObject<V1Pod>(provider, "pod", "plain-0");
          return (
            hash !== oldHash &&
            now !== undefined &&
            now.metadata?.uid !== before.metadata?.uid &&
            now.metadata?.annotations?.[configHashAnnotation] === hash &&
            isReady(now)
          );
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      const rolledOutMs = Date.now() - patched;
      const plainExpiry = await publishAndAwaitExpiry("plain-0", ownedSubject("now-short"), 10_000);
      process.stderr.write(
        `spec-fields: expired after ${fieldsExpiry} ms (fields), ${plainExpiry} ms (plain, patched; rollout ${rolledOutMs} ms)\n`,
      );
      expect(plainExpiry).toBeGreaterThanOrEqual(1000);
      // A message keeps the expiry it was stored with.
      expect(await fetchOutcome("plain-0", plainBefore, foreverId)).toEqual({
        ok: true,
        body: "forever",
      });
    },
  },
  {
    field: "retention.maxExpirationSeconds",
    shows:
      "60: a publish asking 61 s is INVALID_ARGUMENT naming 60, 60 s is stored; without it any expiry is",
    async check() {
      const subject = ownedSubject("bounded");
      await withClient("fields-0", async (client) => {
        const refused = await grpcFailure(client.publish(subject, "too long", { ttlSeconds: 61 }));
        expect(refused.code).toBe(status.INVALID_ARGUMENT);
        expect(refused.details).toContain("60");
        expect(await client.publish(subject, "at the max", { ttlSeconds: 60 })).toBeGreaterThan(0);
      });
      await withClient("plain-0", async (client) => {
        expect(await client.publish(subject, "a day", { ttlSeconds: 86_400 })).toBeGreaterThan(0);
      });
    },
  },
  {
    field: "deduplication.windowSeconds",
    shows:
      "2: a repeat publish with the same key answers the original id and stores nothing; after 2 s the key stores again, while the default window (120 s) still answers it",
    async check() {
      const subject = ownedSubject("deduped");
      const key = { ttlSeconds: 60, idempotencyKey: `key-${suffix}` };
      const fieldsFirst = await withClient("fields-0", async (client) => {
        const first = await client.publish(subject, "once", key);
        expect(await client.publish(subject, "once", key)).toBe(first);
        return first;
      });
      expect((await fetchOutcome("fields-0", subject, fieldsFirst + 1)).ok).toBe(false);
      const plainFirst = await withClient("plain-0", (client) =>
        client.publish(subject, "once", key),
      );
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await withClient("fields-0", async (client) => {
        expect(await client.publish(subject, "again", key)).toBe(fieldsFirst + 1);
      });
      await withClient("plain-0", async (client) => {
        expect(await client.publish(subject, "once", key)).toBe(plainFirst);
      });
    },
  },
  {
    field: "rateLimit.enabled",
    shows:
      "an Envoy sidecar with a valid bootstrap, and the client Service leads to it; none by default",
    unobservable:
      "Envoy cannot run here (the process kubelet runs broker images only), so no call is actually limited",
    async check() {
      const verdict = await checkEnvoyConfig(await envoyBootstrap());
      expect(verdict.violations).toEqual([]);
      expect(verdict.ok).toBe(true);
      const running = await pod("fields-0");
      const sidecar = running.spec?.initContainers?.find((c) => c.name === "envoy");
      expect(sidecar?.restartPolicy).toBe("Always");
      expect(
        running.status?.initContainerStatuses?.find((s) => s.name === "envoy")?.state?.waiting
          ?.reason,
      ).toBe("NotRunByProcessKubelet");
      const grpcPort = (svc: V1Service) => svc.spec?.ports?.find((p) => p.name === "grpc");
      expect(grpcPort(await service("fields"))?.targetPort).toBe("grpc-limited");

      expect(await getObject(provider, "configmap", "plain-envoy")).toBeUndefined();
      expect((await pod("plain-0")).spec?.initContainers ?? []).toEqual([]);
      expect(grpcPort(await service("plain"))?.targetPort).toBe("grpc");
    },
  },
  {
    field: "rateLimit.requestsPerSecond",
    shows: "50: the token bucket refills 50 tokens every second",
    unobservable: "Envoy cannot run here; the rendered bootstrap is checked instead",
    async check() {
      const bucket = tokenBucket(parseYaml(await envoyBootstrap()));
      expect(bucket.tokens_per_fill).toBe(50);
      expect(bucket.fill_interval).toBe("1s");
    },
  },
  {
    field: "rateLimit.burst",
    shows: "80: the token bucket holds 80 tokens",
    unobservable: "Envoy cannot run here; the rendered bootstrap is checked instead",
    async check() {
      expect(tokenBucket(parseYaml(await envoyBootstrap())).max_tokens).toBe(80);
    },
  },
  {
    field: "monitoring.serviceMonitor",
    shows:
      "a ServiceMonitor (interval, labels) whose selector leads to /metrics of both brokers; none by default",
    async check() {
      const monitor = await mustGet<ServiceMonitorView>(provider, "servicemonitor", "fields");
      expect(monitor.metadata.labels).toMatchObject({ release: "prometheus" });
      expect(monitor.spec.namespaceSelector.matchNames).toEqual([provider.namespace]);
      expect(monitor.spec.endpoints).toMatchObject([
        { port: "metrics", path: "/metrics", interval: "15s" },
      ]);
      const { services, targets } = await serviceMonitorTargets(monitor);
      // One Service per pod scrape: the headless one, not the client Service too.
      expect(services.map((svc) => svc.metadata?.name)).toEqual(["fields-headless"]);
      expect(targets.map((t) => t.pod).sort()).toEqual(["fields-0", "fields-1"]);
      for (const target of targets) {
        const response = await fetch(
          `http://${target.ip}:${target.port}${monitor.spec.endpoints[0]?.path}`,
          {
            signal: AbortSignal.timeout(5000),
          },
        );
        expect(response.ok).toBe(true);
        expect(await response.text()).toContain("herald_batch_messages_count");
      }
      expect(await getObject(provider, "servicemonitor", "plain")).toBeUndefined();
    },
  },
  {
    field: "tracing.enabled",
    shows: "the brokers export spans over OTLP/gRPC; off by default",
    async check() {
      const { traceId } = await traceRound();
      expect(receiver.spans.some((span) => span.traceId === traceId)).toBe(true);
      const plain = container(await pod("plain-0"));
      expect(envVar(plain, "OTEL_EXPORTER_OTLP_ENDPOINT")).toBeUndefined();
    },
  },
  {
    field: "tracing.endpoint",
    shows:
      "the spans reach the receiver this test runs at the spec's endpoint, with subject and trace",
    async check() {
      const { traceId, tracedSubject } = await traceRound();
      expect(envVar(container(await pod("fields-0")), "OTEL_EXPORTER_OTLP_ENDPOINT")?.value).toBe(
        receiver.endpoint,
      );
      const span = receiver.spans.find(
        (candidate) => candidate.traceId === traceId && candidate.name === "broker.Broker/Publish",
      );
      expect(span?.attributes["messaging.destination.name"]).toBe(tracedSubject);
    },
  },
  {
    field: "tracing.samplingRatio",
    shows: "0: a call in a sampled trace is kept, a call starting a trace is not",
    async check() {
      const { untracedSubject } = await traceRound();
      // Spans leave the broker in the order they ended, the untraced one first: it was never exported.
      expect(
        receiver.spans.filter(
          (span) => span.attributes["messaging.destination.name"] === untracedSubject,
        ),
      ).toEqual([]);
      expect(envVar(container(await pod("fields-0")), "OTEL_TRACES_SAMPLER_ARG")?.value).toBe("0");
    },
  },
  {
    field: "resources",
    shows: "the broker container's requests and limits; the defaults otherwise",
    unobservable: "the process kubelet enforces no cgroups",
    async check() {
      expect(container(await pod("fields-0")).resources).toEqual({
        requests: { cpu: "50m", memory: "64Mi" },
        limits: { cpu: "1", memory: "256Mi" },
      });
      expect(container(await pod("plain-0")).resources).toEqual({
        requests: { cpu: "100m", memory: "128Mi" },
        limits: { memory: "512Mi" },
      });
    },
  },
  {
    field: "podTemplate.labels",
    shows: "extra labels on the broker pods, Herald's own winning a conflict",
    async check() {
      expect((await pod("fields-0")).metadata?.labels).toMatchObject({
        "example.com/team": "messaging",
        "app.kubernetes.io/part-of": "herald",
      });
    },
  },
  {
    field: "podTemplate.annotations",
    shows: "extra annotations on the broker pods",
    async check() {
      expect((await pod("fields-0")).metadata?.annotations).toMatchObject({
        "example.com/owner": "spec-fields",
      });
      expect((await pod("plain-0")).metadata?.annotations?.["example.com/owner"]).toBeUndefined();
    },
  },
  {
    field: "podTemplate.nodeSelector",
    shows: "the pods carry it and run on a node with that label",
    async check() {
      const running = await pod("fields-0");
      expect(running.spec?.nodeSelector).toEqual({ "herald.dev/process-kubelet": "true" });
      const node = await mustGet<V1Node>(provider, "node", running.spec?.nodeName ?? "");
      expect(node.metadata?.labels?.["herald.dev/process-kubelet"]).toBe("true");
    },
  },
  {
    field: "podTemplate.affinity",
    shows: "the node affinity is on the pods",
    unobservable: "no scheduler runs here and the process kubelet ignores affinity",
    async check() {
      expect((await pod("fields-0")).spec?.affinity).toEqual(fieldsSpec().podTemplate?.affinity);
    },
  },
  {
    field: "podTemplate.tolerations",
    shows: "the toleration is on the pods",
    unobservable: "the process kubelet's node has no taints to tolerate",
    async check() {
      expect((await pod("fields-0")).spec?.tolerations).toEqual(
        expect.arrayContaining(fieldsSpec().podTemplate?.tolerations ?? []),
      );
    },
  },
  {
    field: "podTemplate.topologySpreadConstraints",
    shows: "the spread constraint is on the pods",
    unobservable: "no scheduler runs here; every pod lands on the one process-kubelet node",
    async check() {
      expect((await pod("fields-0")).spec?.topologySpreadConstraints).toMatchObject(
        fieldsSpec().podTemplate?.topologySpreadConstraints ?? [],
      );
    },
  },
  {
    field: "podTemplate.priorityClassName",
    shows: "the pods get the PriorityClass's priority from admission",
    async check() {
      const running = await pod("fields-0");
      expect(running.spec?.priorityClassName).toBe(priorityClass.name);
      expect(running.spec?.priority).toBe(priorityClass.value);
      expect((await pod("plain-0")).spec?.priority ?? 0).toBe(0);
    },
  },
  {
    field: "podTemplate.imagePullSecrets",
    shows: "the pull Secret is on the pods",
    unobservable: "the process kubelet pulls no images",
    async check() {
      expect((await pod("fields-0")).spec?.imagePullSecrets).toEqual([
        { name: "registry-credentials" },
      ]);
    },
  },
  {
    field: "podTemplate.terminationGracePeriodSeconds",
    shows: "20 s on the pods, and the broker's drain budget is 80% of it",
    async check() {
      expect((await pod("fields-0")).spec?.terminationGracePeriodSeconds).toBe(20);
      expect((await configMap("fields-config")).HERALD_SHUTDOWN_GRACE_MS).toBe("16000");
      expect((await configMap("plain-config")).HERALD_SHUTDOWN_GRACE_MS).toBe("24000");
    },
  },
  {
    field: "service.type",
    shows: "NodePort: the client Service gets a node port; ClusterIP by default",
    async check() {
      const fields = await service("fields");
      expect(fields.spec?.type).toBe("NodePort");
      for (const port of fields.spec?.ports ?? []) expect(port.nodePort).toBeGreaterThan(0);
      const plain = await service("plain");
      expect(plain.spec?.type).toBe("ClusterIP");
      for (const port of plain.spec?.ports ?? []) expect(port.nodePort).toBeUndefined();
    },
  },
  {
    field: "service.annotations",
    shows: "the annotation is on the client Service only",
    async check() {
      expect((await service("fields")).metadata?.annotations).toMatchObject({
        "example.com/load-balancer": "internal",
      });
      expect(
        (await service("fields-headless")).metadata?.annotations?.["example.com/load-balancer"],
      ).toBeUndefined();
    },
  },
  {
    field: "web.enabled",
    shows:
      "the gateway on a pod's web port: a message POSTed there over HTTPS with a token is read back over HTTPS and gRPC, none without a token, the NetworkPolicy admits the port; the default serves no gateway",
    async check() {
      const subject = ownedSubject("web");
      const fields = securityOf("fields-0");
      const gateway = `https://${await podIP("fields-0")}:8080/v1/subjects/${subject}/messages`;
      const posted = await gatewayRequest(`${gateway}?ttl=60`, fields, {
        method: "POST",
        body: "over https",
      });
      expect(posted.status).toBe(201);
      const { id } = z.object({ id: z.number() }).parse(JSON.parse(posted.body));
      expect(await gatewayRequest(`${gateway}/${id}`, fields)).toEqual({
        status: 200,
        body: "over https",
      });
      // The gateway authenticates as the gRPC port does.
      const anonymous = await gatewayRequest(`${gateway}/${id}`, { tls: fields.tls });
      expect(anonymous.status).toBe(401);
      expect(await fetchOutcome("fields-0", subject, id)).toEqual({ ok: true, body: "over https" });
      const webPort = (policy: V1NetworkPolicy) =>
        policy.spec?.ingress?.flatMap((rule) => rule.ports ?? []).filter((p) => p.port === "web");
      expect(webPort(await networkPolicy("fields"))).toEqual([{ protocol: "TCP", port: "web" }]);

      const plainGateway = `https://${await podIP("plain-0")}:8080/v1/subjects/${subject}/messages/1`;
      await expect(gatewayRequest(plainGateway, securityOf("plain-0"))).rejects.toThrow();
      expect(webPort(await networkPolicy("plain"))).toEqual([]);
      expect(container(await pod("plain-0")).ports?.map((p) => p.name)).not.toContain("web");
      expect(await webEndpoint("plain")).toBeUndefined();
    },
  },
  {
    field: "web.service",
    shows:
      "port 8081 on the client Service leads to the pods' web port, and status.endpoints.web is its https URL; no web port by default",
    async check() {
      const webPort = (svc: V1Service) => svc.spec?.ports?.find((p) => p.name === "web");
      expect(webPort(await service("fields"))).toMatchObject({ port: 8081, targetPort: "web" });
      expect(container(await pod("fields-0")).ports).toContainEqual(
        expect.objectContaining({ name: "web", containerPort: 8080 }),
      );
      // The gateway serves the brokers' TLS.
      expect(await webEndpoint("fields")).toMatch(/^https:\/\/fields\.[^:]+\.svc\.[^:]+:8081$/);
      expect(webPort(await service("plain"))).toBeUndefined();
    },
  },
  {
    field: "tls.enabled",
    shows:
      "on by default: plain-0 serves its operator CA's certificate for the Service's name and refuses plaintext; a deleted certificate Secret is issued again and served without a restart while an open stream goes on",
    timeoutMs: 120_000,
    async check() {
      expect((await securityStatus("plain"))?.tls).toBe("OperatorCA");
      const ca = secretEntry(await secretData(provider, "plain-tls"), "ca.crt");
      const served = await servedBy("plain-0", ca);
      expect(issuedBy(served, ca)).toBe(true);
      expect(served.serialNumber).toBe(await secretSerial("plain-tls"));
      expect(served.subjectAltName?.split(", ")).toContain(`DNS:plain.${provider.namespace}.svc`);

      const plaintext = new HeraldClient(await provider.podAddress("plain-0"), {
        token: securityOf("plain-0").token,
        callTimeoutMs: 5000,
      });
      try {
        const refused = await grpcFailure(plaintext.publish(`plaintext.${suffix}`, "in clear"));
        expect(refused.code).toBe(status.UNAVAILABLE);
      } finally {
        plaintext.close();
      }

      const ms = await rotatedWithoutRestart("plain-0", "plain-tls", ca, async () => {
        await provider.kubectl(["delete", "secret", "plain-tls"]);
      });
      process.stderr.write(
        `spec-fields: plain-0 served the re-issued certificate ${ms} ms after its Secret was deleted\n`,
      );
    },
  },
  {
    field: "tls.secretName",
    shows:
      "both fields pods serve exactly the leaf of the Secret this test made, users' credentials carry its CA, and members forward calls to each other with it; the operator issues none",
    async check() {
      expect((await securityStatus("fields"))?.tls).toBe("Secret");
      for (const name of brokerPods.fields) {
        const served = await servedBy(name, ownTls.ca.pem);
        expect(served.serialNumber).toBe(ownTls.leaf.serial);
      }
      // Users' credentials carry the Secret's ca.crt as the CA to trust.
      expect(securityOf("fields-0").tls?.ca).toEqual(ownTls.ca.pem);
      // fields-1 forwards a publish of a subject fields-0 owns over the members' mTLS.
      const subject = ownedSubject("forwarded");
      const id = await withClient("fields-1", (client) =>
        client.publish(subject, "forwarded", { ttlSeconds: 60 }),
      );
      expect(await fetchOutcome("fields-0", subject, id)).toEqual({ ok: true, body: "forwarded" });
      expect(await getObject(provider, "secret", "fields-tls")).toBeUndefined();
      expect(await getObject(provider, "secret", "fields-ca")).toBeUndefined();
    },
  },
  {
    field: "tls.issuerRef",
    shows:
      "a Certificate naming the Issuer and the Service's names; issued-0 serves cert-manager's certificate, chained to the Issuer's CA, and a renewal is served without a restart while an open stream goes on",
    timeoutMs: 120_000,
    async check() {
      expect((await securityStatus("issued"))?.tls).toBe("CertManager");
      const { spec } = await mustGet<CertificateView>(
        provider,
        "certificates.cert-manager.io",
        "issued-tls",
      );
      expect(spec.secretName).toBe("issued-tls");
      expect(spec.issuerRef).toEqual({
        name: caIssuer.name,
        kind: "Issuer",
        group: "cert-manager.io",
      });
      expect(spec.dnsNames).toEqual(
        expect.arrayContaining([
          `issued.${provider.namespace}.svc`,
          `*.issued-headless.${provider.namespace}.svc`,
        ]),
      );
      // The CA Certificate's own Secret holds the Issuer's signing certificate.
      const issuerCa = secretEntry(await secretData(provider, caIssuer.name), "tls.crt");
      const served = await servedBy("issued-0", issuerCa);
      expect(issuedBy(served, issuerCa)).toBe(true);
      expect(served.serialNumber).toBe(await secretSerial("issued-tls"));

      const ms = await rotatedWithoutRestart("issued-0", "issued-tls", issuerCa, () =>
        renewCertificate(cluster, provider.namespace, "issued-tls"),
      );
      process.stderr.write(
        `spec-fields: issued-0 served the renewed certificate ${ms} ms after the renewal was requested\n`,
      );
    },
  },
  {
    field: "auth",
    shows:
      "on by default: no token is UNAUTHENTICATED; a user's permissions are enforced, changed and revoked while the broker runs on; a ServiceAccount's token for the audience herald authenticates its user",
    timeoutMs: 180_000,
    async check() {
      expect((await securityStatus("plain"))?.auth).toBe("Enabled");
      const { tls } = securityOf("plain-0");
      const address = await provider.podAddress("plain-0");
      await withClientAt(address, { tls }, async (anonymous) => {
        const refused = await grpcFailure(anonymous.publish(`spec.any.${suffix}`, "who?"));
        expect(refused.code).toBe(status.UNAUTHENTICATED);
      });
      await withClient("plain-0", async (client) => {
        expect(await client.publish(`spec.any.${suffix}`, "scenario")).toBeGreaterThan(0);
      });

      const pid = brokerPid(await pod("plain-0"));
      const allowed = `spec.allowed.${suffix}`;
      const other = `spec.other.${suffix}`;
      await applyUser("plain-limited", { permissions: { publish: ["spec.allowed.>"] } });
      const token = await userToken("plain-limited");
      await untilAccepted(address, { tls, token });
      await withClientAt(address, { tls, token }, async (limited) => {
        expect(await limited.publish(allowed, "allowed")).toBeGreaterThan(0);
        const denied = await grpcFailure(limited.publish(other, "not allowed"));
        expect(denied.code).toBe(status.PERMISSION_DENIED);
        expect(denied.details).toBe(`plain-limited may not publish "${other}"`);

        await applyUser("plain-limited", {
          permissions: { publish: ["spec.allowed.>", "spec.other.>"] },
        });
        await until("the widened permissions in force", () =>
          limited.publish(other, "now allowed"),
        );

        await provider.kubectl(["delete", "messagebrokeruser", "plain-limited"]);
        await until("the deleted user refused", async () => {
          const revoked = await grpcFailure(limited.publish(allowed, "revoked"));
          return revoked.code === status.UNAUTHENTICATED;
        });
      });
      expect(brokerPid(await pod("plain-0"))).toBe(pid);

      await serviceAccountUserPublishes();
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Schema keys

type AnySchema = z.core.$ZodType;

/** The object schema under optional/default/prefault wrappers, if any. */
function objectShape(schema: AnySchema): Record<string, AnySchema> | undefined {
  let current: AnySchema = schema;
  for (let depth = 0; depth < 8; depth++) {
    if (current instanceof z.ZodObject) return current.shape;
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault
    ) {
      current = current.unwrap();
    } else return undefined;
  }
  return undefined;
}

/** Every field the table must cover: top-level keys, and the sub-keys of expanded fields. */
function specFieldPaths(): string[] {
  const paths: string[] = [];
  const walk = (shape: Record<string, AnySchema>, prefix: string) => {
    for (const [key, schema] of Object.entries(shape)) {
      const path = `${prefix}${key}`;
      if (!expandedFields.includes(path)) {
        paths.push(path);
        continue;
      }
      const inner = objectShape(schema);
      if (inner === undefined) throw new Error(`${path} is expanded but is not an object field`);
      walk(inner, `${path}.`);
    }
  };
  walk(messageBrokerSpecSchema.shape, "");
  return paths;
}

// ---------------------------------------------------------------------------------------------

test("every spec field has a case", () => {
  const schemaFields = specFieldPaths();
  const tableFields = cases.map((c) => c.field);
  expect(new Set(tableFields).size, "a field listed twice").toBe(tableFields.length);
  expect(
    schemaFields.filter((field) => !tableFields.includes(field)),
    "spec fields without a case",
  ).toEqual([]);
  expect(
    tableFields.filter((field) => !schemaFields.includes(field)),
    "cases for fields the spec does not have",
  ).toEqual([]);
});

describe("spec fields on running brokers", () => {
  beforeAll(async () => {
    // The ServiceMonitor cases need the CRD throughout; another file removes it to test its absence.
    releaseCrdLock = await takeSuiteLock(serviceMonitorCrdLock);
    receiver = await OtlpReceiver.start();
    provider = await startLocalProvider(env);
    // Cluster-scoped: the CRD may be there already (other suites install and remove it).
    crdWasInstalled = (await getObject(provider, "crd", crdName)) !== undefined;
    await provider.kubectl(["apply", "-f", "-"], JSON.stringify(serviceMonitorCrd));
    await provider.kubectl([
      "wait",
      "--for=condition=Established",
      "--timeout=30s",
      `crd/${crdName}`,
    ]);
    await provider.kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "scheduling.k8s.io/v1",
        kind: "PriorityClass",
        metadata: { name: priorityClass.name },
        value: priorityClass.value,
      }),
    );
    ownTls = await createOwnTlsSecret();
    caIssuer = await createCaIssuer(cluster, provider.namespace, "spec-fields-ca");
    for (const [name, spec] of [
      ["fields", fieldsSpec()],
      ["plain", plainSpec()],
      ["issued", issuedSpec()],
      ["workers", workersSpec],
      ["keep", keepSpec],
      ["drop", dropSpec],
    ] as const) {
      await provider.kubectl(["apply", "-f", "-"], manifest(name, spec));
    }
    await Promise.all(
      Object.entries(brokerPods).map(([name, pods]) => readyBrokers(name, pods.length)),
    );
    await Promise.all(
      Object.entries(brokerPods).map(([name, pods]) => connectAsScenarioUser(name, pods)),
    );
    // Both members adopted the same epoch before any subject is picked by owner.
    fieldsMembers = await until(
      "fields-0 serving a 2-member cluster",
      async () => {
        const view = await clusterView(await podIP("fields-0"));
        return view.members.length === 2 ? view.members : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  }, 240_000);

  afterAll(async () => {
    await provider
      ?.kubectl(["delete", "priorityclass", priorityClass.name, "--ignore-not-found"])
      .catch(() => "");
    await provider?.stop();
    if (provider && !crdWasInstalled) {
      await provider
        .kubectl(["delete", "crd", crdName, "--ignore-not-found", "--timeout=30s"])
        .catch(() => "");
    }
    await receiver?.close();
    if (ownTls) rmSync(ownTls.ca.dir, { recursive: true, force: true });
    await withCassandra((client) => client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)).catch(
      () => undefined,
    );
    await releaseCrdLock?.();
  }, 180_000);

  for (const { field, shows, unobservable, timeoutMs, check } of cases) {
    const name = unobservable
      ? `${field}: ${shows} (not observable here: ${unobservable})`
      : `${field}: ${shows}`;
    test(name, check, timeoutMs ?? 60_000);
  }
});

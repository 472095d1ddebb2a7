/**
 * The broker on the real API server: it watches its membership ConfigMap as a
 * ServiceAccount that may only get/list/watch that one object (as the
 * operator's broker Role allows), adopts each epoch, and reports it on
 * /cluster and /readyz.
 */
import { KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Broker, startBroker } from "../../broker.ts";
import { HeraldClient } from "../../client/herald-client.ts";
import { startHttpServer } from "../../../lib/process/http-server.ts";
import { MemoryStore } from "../../store/memory/memory-store.ts";
import { defaultTestSettings } from "../../test/harness.ts";
import { freePort } from "../../../testing/free-port.ts";
import { KubeMembershipSource } from "./kube-source.ts";
import { connect, createNamespace } from "../../../testing/kube-cluster.ts";
import { until } from "../../../testing/until.ts";

const env = inject("testEnv");
const cluster = connect(env);
const configMapName = "kmb-membership";
let namespace: Awaited<ReturnType<typeof createNamespace>>;
let broker: Broker | undefined;
let http: Awaited<ReturnType<typeof startHttpServer>> | undefined;

/** A kubeconfig for a ServiceAccount allowed get/list/watch on the membership ConfigMap only. */
async function brokerKubeConfig(ns: string): Promise<KubeConfig> {
  const rbac = cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  await cluster.core.createNamespacedServiceAccount({
    namespace: ns,
    body: { metadata: { name: "broker" } },
  });
  await rbac.createNamespacedRole({
    namespace: ns,
    body: {
      metadata: { name: "broker" },
      rules: [
        {
          apiGroups: [""],
          resources: ["configmaps"],
          resourceNames: [configMapName],
          verbs: ["get", "list", "watch"],
        },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: "broker" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "broker" },
      subjects: [{ kind: "ServiceAccount", name: "broker", namespace: ns }],
    },
  });
  const token = await cluster.core.createNamespacedServiceAccountToken({
    namespace: ns,
    name: "broker",
    body: { spec: { expirationSeconds: 3600, audiences: [] } },
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "test", server: env.kube.apiServerUrl, caFile: env.kube.caFile }],
    users: [{ name: "broker", token: token.status?.token ?? "" }],
    contexts: [{ name: "broker", cluster: "test", user: "broker", namespace: ns }],
    currentContext: "broker",
  });
  return kubeConfig;
}

const membershipData = (epoch: number, members: readonly { name: string; address: string }[]) => ({
  "membership.json": JSON.stringify({ epoch, members }),
});

beforeAll(async () => {
  namespace = await createNamespace(cluster, "kmb");
});
afterAll(async () => {
  await broker?.shutdown();
  await new Promise<void>((resolve) => (http ? http.server.close(() => resolve()) : resolve()));
  await namespace?.remove();
});

describe("membership from the ConfigMap", () => {
  it("adopts the epoch of the ConfigMap, follows its updates, and is ready only once adopted", async () => {
    const logger = pino({ level: process.env.HERALD_TEST_LOG_LEVEL ?? "silent" });
    const port = await freePort();
    const self = { name: "kmb-0", address: `127.0.0.1:${port}` };
    const started = await startBroker({
      settings: {
        ...defaultTestSettings,
        grpcAddress: { host: "127.0.0.1", port },
        cluster: { self: self.name, handoffTimeoutMs: 1000, forwardTimeoutMs: 5000 },
      },
      store: new MemoryStore({ maxMessagesPerSubject: 1000 }),
      logger,
      registry: new Registry(),
      membership: new KubeMembershipSource({
        namespace: namespace.name,
        configMapName,
        logger,
        kubeConfig: await brokerKubeConfig(namespace.name),
      }),
    });
    broker = started;
    await started.storeOpened();
    http = await startHttpServer({
      address: { host: "127.0.0.1", port: 0 },
      ready: () => started.ready(),
      registry: new Registry(),
      cluster: () => started.cluster(),
    });
    const base = `http://127.0.0.1:${http.port}`;
    const clusterInfo = async () =>
      (await (await fetch(`${base}/cluster`)).json()) as {
        epoch: number;
        members: unknown[];
        self: string;
      };

    // No ConfigMap yet: nothing adopted, not ready.
    expect(await clusterInfo()).toEqual({ epoch: -1, members: [], self: "kmb-0" });
    expect((await fetch(`${base}/readyz`)).status).toBe(503);

    await cluster.core.createNamespacedConfigMap({
      namespace: namespace.name,
      body: { metadata: { name: configMapName }, data: membershipData(3, [self]) },
    });
    await until("epoch 3 on /cluster", async () => (await clusterInfo()).epoch === 3, {
      timeoutMs: 20_000,
    });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const client = new HeraldClient(self.address);
    expect(await client.publish("orders", "one")).toBe(1);
    client.close();

    const peer = { name: "kmb-1", address: "127.0.0.1:1" };
    await cluster.core.replaceNamespacedConfigMap({
      namespace: namespace.name,
      name: configMapName,
      body: { metadata: { name: configMapName }, data: membershipData(4, [self, peer]) },
    });
    await until("epoch 4 on /cluster", async () => (await clusterInfo()).epoch === 4, {
      timeoutMs: 20_000,
    });
    expect(await clusterInfo()).toEqual({ epoch: 4, members: [self, peer], self: "kmb-0" });

    // A malformed update is ignored; the adopted epoch stays.
    await cluster.core.replaceNamespacedConfigMap({
      namespace: namespace.name,
      name: configMapName,
      body: { metadata: { name: configMapName }, data: { "membership.json": "{" } },
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await clusterInfo()).epoch).toBe(4);
  });
});

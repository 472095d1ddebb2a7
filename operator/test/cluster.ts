import {
  ApiextensionsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { TestEnv } from "../../e2e/env/env-file.ts";
import { operatorRbac } from "../rbac/rules.ts";

/** Test helpers against the test environment's real API server. */
export interface Cluster {
  kubeConfig: KubeConfig;
  objects: KubernetesObjectApi;
  core: CoreV1Api;
  env: TestEnv;
}

export function connect(env: TestEnv): Cluster {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.kube.kubeconfig);
  return {
    kubeConfig,
    objects: KubernetesObjectApi.makeApiClient(kubeConfig),
    core: kubeConfig.makeApiClient(CoreV1Api),
    env,
  };
}

/** Polls `probe` until it returns a value other than undefined/false. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Server-side applies every document of a YAML file as the test suite. */
export async function applyYaml(cluster: Cluster, text: string): Promise<void> {
  for (const document of parseAllDocuments(text)) {
    const object = document.toJS() as KubernetesObject | null;
    if (object) await apply(cluster, object);
  }
}

export async function apply<T extends KubernetesObject>(cluster: Cluster, object: T): Promise<T> {
  return cluster.objects.patch(
    object,
    undefined,
    undefined,
    "herald-tests",
    true,
    PatchStrategy.ServerSideApply,
  );
}

export async function read<T extends KubernetesObject>(
  cluster: Cluster,
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
): Promise<T | undefined> {
  try {
    return await cluster.objects.read<T>({ apiVersion, kind, metadata: { name, namespace } });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

async function waitEstablished(cluster: Cluster, name: string): Promise<void> {
  const api = cluster.kubeConfig.makeApiClient(ApiextensionsV1Api);
  await waitFor(`CRD ${name} established`, async () => {
    const crd = await api.readCustomResourceDefinition({ name });
    return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  });
}

/** Installs the MessageBroker CRD from crds/, as users do. */
export async function installMessageBrokerCrd(cluster: Cluster): Promise<void> {
  const file = new URL("../../crds/herald.dev_messagebrokers.yaml", import.meta.url);
  await applyYaml(cluster, await readFile(file, "utf8"));
  await waitEstablished(cluster, "messagebrokers.herald.dev");
}

/** A test copy of Prometheus Operator's ServiceMonitor CRD: the same identity, an open schema. */
export const serviceMonitorCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "servicemonitors.monitoring.coreos.com" },
  spec: {
    group: "monitoring.coreos.com",
    names: {
      kind: "ServiceMonitor",
      listKind: "ServiceMonitorList",
      plural: "servicemonitors",
      singular: "servicemonitor",
    },
    scope: "Namespaced",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        // Server-side apply needs spec declared: preserve-unknown-fields on the root alone is refused.
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        },
      },
    ],
  },
};

export async function installServiceMonitorCrd(cluster: Cluster): Promise<void> {
  await apply(cluster, serviceMonitorCrd);
  await waitEstablished(cluster, serviceMonitorCrd.metadata.name);
}

export async function uninstallServiceMonitorCrd(cluster: Cluster): Promise<void> {
  const api = cluster.kubeConfig.makeApiClient(ApiextensionsV1Api);
  await api
    .deleteCustomResourceDefinition({ name: serviceMonitorCrd.metadata.name })
    .catch(() => undefined);
  await waitFor("ServiceMonitor CRD gone", async () => {
    try {
      await api.readCustomResourceDefinition({ name: serviceMonitorCrd.metadata.name });
      return false;
    } catch {
      return true;
    }
  });
}

/** A fresh namespace; `remove` deletes it (and frees claims the absent volume controllers would hold). */
export async function createNamespace(cluster: Cluster, prefix: string) {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await cluster.core.createNamespace({ body: { metadata: { name } } });
  return {
    name,
    async remove(): Promise<void> {
      const claims = await cluster.core.listNamespacedPersistentVolumeClaim({ namespace: name });
      for (const claim of claims.items) {
        // No pvc-protection controller runs here to lift the finalizer the admission adds.
        await cluster.core
          .patchNamespacedPersistentVolumeClaim(
            {
              namespace: name,
              name: claim.metadata?.name ?? "",
              body: { metadata: { finalizers: null } },
            },
            setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
          )
          .catch(() => undefined);
      }
      await cluster.core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

/**
 * A kubeconfig whose user is a ServiceAccount bound only to the operator's generated RBAC
 * (operator/rbac): cluster-wide rules, and the leader-election Role in `leaseNamespace`.
 */
export async function operatorKubeconfig(
  cluster: Cluster,
  namespace: string,
  leaseNamespace: string,
) {
  const rbac = cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const name = `herald-operator-${namespace}`;
  const subject = { kind: "ServiceAccount", name: "herald-operator", namespace };
  await cluster.core.createNamespacedServiceAccount({
    namespace,
    body: { metadata: { name: "herald-operator" } },
  });
  await rbac.createClusterRole({
    body: { metadata: { name }, rules: [...operatorRbac.namespaced, ...operatorRbac.cluster] },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [subject],
    },
  });
  await rbac.createNamespacedRole({
    namespace: leaseNamespace,
    body: { metadata: { name: "herald-operator-leader" }, rules: operatorRbac.leaderElection },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: leaseNamespace,
    body: {
      metadata: { name: "herald-operator-leader" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: "herald-operator-leader",
      },
      subjects: [subject],
    },
  });
  const token = await cluster.core.createNamespacedServiceAccountToken({
    namespace,
    name: "herald-operator",
    body: { spec: { expirationSeconds: 3600, audiences: [] } },
  });
  /** Writes a kubeconfig for this identity against `server` (the API server, or a proxy to it). */
  const kubeconfigFor = async (server: string, suffix = ""): Promise<string> => {
    const file = join(tmpdir(), `${name}${suffix}.kubeconfig`);
    const config = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "test", cluster: { server, "certificate-authority": cluster.env.kube.caFile } },
      ],
      users: [{ name: "operator", user: { token: token.status?.token } }],
      contexts: [{ name: "operator", context: { cluster: "test", user: "operator" } }],
      "current-context": "operator",
    };
    await writeFile(file, JSON.stringify(config));
    return file;
  };
  const file = await kubeconfigFor(
    cluster.kubeConfig.getCurrentCluster()?.server ?? cluster.env.kube.apiServerUrl,
  );
  return {
    file,
    kubeconfigFor,
    username: `system:serviceaccount:${namespace}:herald-operator`,
    async remove(): Promise<void> {
      await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
      await rbac.deleteClusterRole({ name }).catch(() => undefined);
    },
  };
}

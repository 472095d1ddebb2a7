/** Operator-only helpers against the test environment's API server: its CRDs and its identity. */
import { ApiextensionsV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apply, applyYaml, type Cluster } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";
import { operatorRbac } from "../rbac/rules.ts";
import { crdFiles } from "../../tools/crd/crd-file.ts";

async function waitEstablished(cluster: Cluster, name: string): Promise<void> {
  const api = cluster.kubeConfig.makeApiClient(ApiextensionsV1Api);
  await until(`CRD ${name} established`, async () => {
    const crd = await api.readCustomResourceDefinition({ name });
    return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  });
}

/** Installs every herald.dev CRD from crds/, as users do. */
export async function installHeraldCrds(cluster: Cluster): Promise<void> {
  for (const { file, crd } of crdFiles()) {
    await applyYaml(cluster, await readFile(file, "utf8"));
    await waitEstablished(cluster, crd.metadata.name);
  }
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
  await until("ServiceMonitor CRD gone", async () => {
    try {
      await api.readCustomResourceDefinition({ name: serviceMonitorCrd.metadata.name });
      return false;
    } catch {
      return true;
    }
  });
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

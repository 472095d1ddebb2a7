import type { KubeConfig } from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import { PooledKubeConfig } from "../../lib/kube/pooled-kube-config.ts";

const inClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/**
 * The current kubeconfig context: KUBECONFIG, ~/.kube/config, or the in-cluster service account.
 * Its API calls share one connection pool (lib/kube/pooled-kube-config.ts).
 */
export function loadKubeConfig(): KubeConfig {
  const kubeConfig = new PooledKubeConfig();
  kubeConfig.loadFromDefault();
  if (!kubeConfig.getCurrentCluster())
    throw new Error("no Kubernetes cluster configured: set KUBECONFIG");
  return kubeConfig;
}

/** Where the leader Lease lives when not configured: the operator's own namespace in a cluster. */
export function defaultLeaseNamespace(kubeConfig: KubeConfig): string {
  try {
    return readFileSync(inClusterNamespaceFile, "utf8").trim();
  } catch {
    return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? "default";
  }
}

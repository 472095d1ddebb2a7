import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { parseAllDocuments } from "yaml";
import { fromWire } from "../lib/kube/wire-format.ts";
import type { TestEnv } from "./test-env.ts";

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

/** Server-side applies every document of a YAML file as the test suite. */
export async function applyYaml(cluster: Cluster, text: string): Promise<void> {
  for (const document of parseAllDocuments(text)) {
    const object = document.toJS() as KubernetesObject | null;
    if (object) await apply(cluster, fromWire(object));
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

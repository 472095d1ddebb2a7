import {
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Secret,
} from "@kubernetes/client-node";
import { fieldManager, serverSideApply } from "./apply.ts";
import { isNotFound } from "../../lib/kube/api-error.ts";
import { messageBrokerKind } from "./owned-kinds.ts";
import { apiVersionOf } from "../../lib/kube/resource-kind.ts";

/** The brokers' identity, which every write about a MessageBroker needs. */
export interface BrokerRef {
  namespace: string;
  name: string;
}

/**
 * Every write the reconciler makes, in one narrow interface: the reconciler's tests replace it,
 * and the integration tests count what goes through it.
 */
export interface ClusterWriter {
  apply(object: KubernetesObject): Promise<void>;
  /** Deletes in the background; an object already gone is not an error. */
  delete(object: KubernetesObject): Promise<void>;
  applyStatus(broker: BrokerRef, status: object): Promise<void>;
  /**
   * Sets the MessageBroker's finalizers, if it is still at `resourceVersion` (a conflict
   * otherwise, so another writer's finalizer is never lost).
   */
  setFinalizers(broker: BrokerRef, resourceVersion: string, finalizers: string[]): Promise<void>;
  /** Deletes the PersistentVolumeClaims matching `labelSelector`; returns their names. */
  deleteClaims(namespace: string, labelSelector: string): Promise<string[]>;
  /** A Secret read from the API server, for the one read a cache miss must not decide. */
  readSecret(namespace: string, name: string): Promise<V1Secret | undefined>;
  /** A ConfigMap read from the API server, when the cache may lag what the operator wrote. */
  readConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
  /** Merges `annotations` into each of the pods; a pod already gone is not an error. */
  annotatePods(
    namespace: string,
    pods: readonly string[],
    annotations: Record<string, string>,
  ): Promise<void>;
}

const applyAsHerald = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export function clusterWriter(kubeConfig: KubeConfig): ClusterWriter {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const brokerPath = ({ namespace, name }: BrokerRef) => ({
    group: messageBrokerKind.group,
    version: messageBrokerKind.version,
    plural: messageBrokerKind.plural,
    namespace,
    name,
  });
  const brokerHeader = ({ namespace, name }: BrokerRef) => ({
    apiVersion: apiVersionOf(messageBrokerKind),
    kind: messageBrokerKind.kind,
    metadata: { name, namespace },
  });

  return {
    apply: (object) => serverSideApply(objects, object),

    async delete(object) {
      try {
        await objects.delete(object, undefined, undefined, undefined, undefined, "Background");
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },

    async applyStatus(broker, status) {
      await customObjects.patchNamespacedCustomObjectStatus(
        {
          ...brokerPath(broker),
          body: { ...brokerHeader(broker), status },
          fieldManager,
          force: true,
        },
        applyAsHerald,
      );
    },

    async setFinalizers(broker, resourceVersion, finalizers) {
      // A merge patch, not an apply: an apply would re-create a MessageBroker deleted meanwhile.
      await customObjects.patchNamespacedCustomObject(
        {
          ...brokerPath(broker),
          body: { metadata: { resourceVersion, finalizers } },
          fieldManager,
        },
        mergePatch,
      );
    },

    async deleteClaims(namespace, labelSelector) {
      const claims = await core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector });
      const names = claims.items.flatMap((claim) =>
        claim.metadata?.name ? [claim.metadata.name] : [],
      );
      for (const name of names) {
        try {
          await core.deleteNamespacedPersistentVolumeClaim({ namespace, name });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return names;
    },

    readSecret: (namespace, name) =>
      absentIfNotFound(core.readNamespacedSecret({ namespace, name })),

    readConfigMap: (namespace, name) =>
      absentIfNotFound(core.readNamespacedConfigMap({ namespace, name })),

    async annotatePods(namespace, pods, annotations) {
      for (const name of pods) {
        await absentIfNotFound(
          core.patchNamespacedPod(
            { namespace, name, body: { metadata: { annotations } }, fieldManager },
            mergePatch,
          ),
        );
      }
    },
  };
}

/** A read whose 404 means "there is none". */
async function absentIfNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Every API call the process kubelet makes about pods, behind one narrow interface (the node's
 * own calls live in node-registration.ts).
 */
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from "@kubernetes/client-node";
import { z } from "zod";
import { isNotFound } from "../../lib/kube/api-error.ts";

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

export interface MintedToken {
  token: string;
  expiresAt: Date;
}

export interface PodApi {
  /** A ConfigMap's data, or undefined when it does not exist. */
  readConfigMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** A Secret's decoded data, or undefined when it does not exist. */
  readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** A service-account token bound to the pod, so it dies with the pod (TokenRequest API). */
  requestToken(
    pod: PodRef,
    serviceAccount: string,
    options: { audience?: string; expirationSeconds: number },
  ): Promise<MintedToken>;
  bind(pod: PodRef, nodeName: string): Promise<void>;
  /** Merge-patches the status if the pod is still at `resourceVersion` (409 otherwise). */
  patchStatus(pod: PodRef, resourceVersion: string | undefined, status: object): Promise<void>;
  /** Removes the pod at once once its containers are gone, as the kubelet does (grace 0, same uid). */
  deleteNow(pod: PodRef): Promise<void>;
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

const tokenSchema = z.object({
  status: z.object({ token: z.string(), expirationTimestamp: z.union([z.date(), z.string()]) }),
});
const dataSchema = z.record(z.string(), z.string()).optional();

async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function podApi(kubeConfig: KubeConfig, fieldManager: string): PodApi {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    async readConfigMap(namespace, name) {
      const configMap = await orUndefined(core.readNamespacedConfigMap({ namespace, name }));
      return configMap && (dataSchema.parse(configMap.data) ?? {});
    },

    async readSecret(namespace, name) {
      const secret = await orUndefined(core.readNamespacedSecret({ namespace, name }));
      if (!secret) return undefined;
      const data = dataSchema.parse(secret.data) ?? {};
      return Object.fromEntries(
        Object.entries(data).map(([key, value]) => [
          key,
          Buffer.from(value, "base64").toString("utf8"),
        ]),
      );
    },

    async requestToken(pod, serviceAccount, { audience, expirationSeconds }) {
      const response = await core.createNamespacedServiceAccountToken({
        namespace: pod.namespace,
        name: serviceAccount,
        fieldManager,
        body: {
          spec: {
            // Empty means the API server's own audience, as for an in-cluster client.
            audiences: audience ? [audience] : [],
            expirationSeconds,
            boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.name, uid: pod.uid },
          },
        },
      });
      const { status } = tokenSchema.parse(response);
      return { token: status.token, expiresAt: new Date(status.expirationTimestamp) };
    },

    async bind(pod, nodeName) {
      await core.createNamespacedPodBinding({
        namespace: pod.namespace,
        name: pod.name,
        fieldManager,
        body: {
          metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
          target: { apiVersion: "v1", kind: "Node", name: nodeName },
        },
      });
    },

    async patchStatus(pod, resourceVersion, status) {
      await core.patchNamespacedPodStatus(
        {
          namespace: pod.namespace,
          name: pod.name,
          fieldManager,
          body: { metadata: { uid: pod.uid, resourceVersion }, status },
        },
        mergePatch,
      );
    },

    async deleteNow(pod) {
      await orUndefined(
        core.deleteNamespacedPod({
          namespace: pod.namespace,
          name: pod.name,
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: pod.uid } },
        }),
      );
    },
  };
}

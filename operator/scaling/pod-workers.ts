import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { runningWorkers } from "../render/workers.ts";

/** The workers each existing pod matching `labelSelector` runs, by pod name. */
export type PodWorkersReader = (
  namespace: string,
  labelSelector: string,
) => Promise<ReadonlyMap<string, number>>;

/**
 * Lists the pods from the API server. Nothing watches pods: the membership asks only while some
 * pod may run several workers, and a pod's workers change only when the StatefulSet replaces it,
 * which the StatefulSet's status (watched) announces.
 */
export function podWorkersReader(kubeConfig: KubeConfig): PodWorkersReader {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return async (namespace, labelSelector) => {
    const pods = await core.listNamespacedPod({ namespace, labelSelector });
    return new Map(
      pods.items.map((pod) => [
        pod.metadata?.name ?? "",
        runningWorkers(pod.metadata?.annotations),
      ]),
    );
  };
}

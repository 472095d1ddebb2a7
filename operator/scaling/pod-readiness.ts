import { CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { isNotFound } from "../../lib/kube/api-error.ts";

/** Why each named pod is not Ready, in a word or two; undefined for a Ready pod. */
export type PodReadinessReader = (
  namespace: string,
  podNames: readonly string[],
) => Promise<(string | undefined)[]>;

/** Reads the pods from the API server; only a stalled scale-up asks, so nothing watches pods. */
export function podReadinessReader(kubeConfig: KubeConfig): PodReadinessReader {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return (namespace, podNames) =>
    Promise.all(
      podNames.map((name) =>
        core
          .readNamespacedPod({ namespace, name })
          .then(notReadyReason, (err: unknown) =>
            isNotFound(err) ? notReadyReason(undefined) : "state unknown",
          ),
      ),
    );
}

/**
 * Why a pod is not Ready, most telling first: missing, terminating, unschedulable, a container's
 * waiting or terminated reason (CrashLoopBackOff, ImagePullBackOff, Error), else its phase.
 */
export function notReadyReason(pod: V1Pod | undefined): string | undefined {
  if (!pod) return "not created";
  if (pod.metadata?.deletionTimestamp) return "terminating";
  const conditions = pod.status?.conditions ?? [];
  if (conditions.some(({ type, status }) => type === "Ready" && status === "True"))
    return undefined;
  const scheduled = conditions.find(({ type }) => type === "PodScheduled");
  if (scheduled?.status === "False") return scheduled.reason ?? "unscheduled";
  const containerReason = (pod.status?.containerStatuses ?? [])
    .map(({ state }) => state?.waiting?.reason ?? state?.terminated?.reason)
    .find((reason) => reason !== undefined);
  return containerReason ?? `${pod.status?.phase ?? "Pending"}, not ready`;
}

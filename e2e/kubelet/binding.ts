/**
 * Which pods the process kubelet takes. No kube-scheduler runs in the local environment, so the
 * kubelet schedules too, but only the pods it can run: those of a Herald broker StatefulSet.
 * Anything else (a managed database's pods) stays Pending. Affinity, tolerations and resources
 * are not considered; a nodeSelector is, so a pod meant for another node is left alone.
 */
import type { Pod } from "./pod-schema.ts";

/** The labels the operator puts on broker pods (operator/render/metadata.ts). */
export const brokerPodSelector: Readonly<Record<string, string>> = {
  "app.kubernetes.io/managed-by": "herald-operator",
  "app.kubernetes.io/component": "broker",
};

export const brokerPodLabelSelector = Object.entries(brokerPodSelector)
  .map(([key, value]) => `${key}=${value}`)
  .join(",");

/** A pod of a Herald broker StatefulSet. */
export function isHeraldBrokerPod(pod: Pod): boolean {
  const labels = pod.metadata.labels ?? {};
  const labelled = Object.entries(brokerPodSelector).every(([key, value]) => labels[key] === value);
  const ownedByStatefulSet = (pod.metadata.ownerReferences ?? []).some(
    (owner) => owner.controller === true && owner.kind === "StatefulSet",
  );
  return labelled && ownedByStatefulSet;
}

/** Whether this kubelet should bind `pod` to its node. */
export function shouldBind(pod: Pod, nodeLabels: Readonly<Record<string, string>>): boolean {
  if (pod.spec.nodeName || pod.metadata.deletionTimestamp) return false;
  if ((pod.spec.schedulerName ?? "default-scheduler") !== "default-scheduler") return false;
  const selector = pod.spec.nodeSelector ?? {};
  const fits = Object.entries(selector).every(([key, value]) => nodeLabels[key] === value);
  return fits && isHeraldBrokerPod(pod);
}

import type { V1PodDisruptionBudget } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata, selectorLabels } from "./metadata.ts";
import { childNames } from "./names.ts";

/**
 * Voluntary disruptions (node drains) take one broker at a time. Rendered at every size: with a
 * single replica it still lets a drain proceed, where minAvailable would block it forever.
 */
export function renderPodDisruptionBudget(broker: MessageBroker): V1PodDisruptionBudget {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: childMetadata(broker, {
      name: childNames(broker).podDisruptionBudget,
      component: "broker",
    }),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(broker, "broker") } },
  };
}

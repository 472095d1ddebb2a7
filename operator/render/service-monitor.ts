import type { KubernetesObject } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { serviceRoleLabel } from "./headless-service.ts";
import { childMetadata, selectorLabels } from "./metadata.ts";
import { childNames } from "./names.ts";

/** The part of monitoring.coreos.com/v1 ServiceMonitor that Herald sets (client-node has no type for it). */
export interface ServiceMonitor extends KubernetesObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    endpoints: { port: string; path: string; interval: string; scheme: "http" }[];
  };
}

/**
 * Scrapes every broker through the headless Service, which lists not-ready pods too: a broker
 * stuck before ready is exactly when its metrics matter.
 */
export function renderServiceMonitor(broker: MessageBroker): ServiceMonitor {
  const { serviceMonitor } = broker.spec.monitoring;
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: childMetadata(broker, {
      name: childNames(broker).serviceMonitor,
      component: "broker",
      labels: serviceMonitor.labels,
    }),
    spec: {
      selector: {
        matchLabels: { ...selectorLabels(broker, "broker"), [serviceRoleLabel]: "headless" },
      },
      namespaceSelector: { matchNames: [broker.metadata.namespace] },
      endpoints: [
        { port: "metrics", path: "/metrics", interval: serviceMonitor.interval, scheme: "http" },
      ],
    },
  };
}

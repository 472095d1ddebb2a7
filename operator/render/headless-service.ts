import type { V1Service } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata, selectorLabels } from "./metadata.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";

/** Label that tells the broker's two Services apart, so a ServiceMonitor scrapes each pod once. */
export const serviceRoleLabel = "herald.dev/service";

/**
 * Gives each broker pod a stable DNS name (the StatefulSet's serviceName). Not-ready pods are
 * published too: peers must find a starting broker before it is ready.
 */
export function renderHeadlessService(broker: MessageBroker): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMetadata(broker, {
      name: childNames(broker).headlessService,
      component: "broker",
      labels: { [serviceRoleLabel]: "headless" },
    }),
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(broker, "broker"),
      ports: [
        {
          name: ports.grpc.name,
          port: ports.grpc.port,
          targetPort: ports.grpc.name,
          protocol: "TCP",
        },
        {
          name: ports.cluster.name,
          port: ports.cluster.port,
          targetPort: ports.cluster.name,
          protocol: "TCP",
        },
        { name: "metrics", port: ports.http.port, targetPort: ports.http.name, protocol: "TCP" },
      ],
    },
  };
}

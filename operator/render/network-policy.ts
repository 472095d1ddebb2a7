import type { V1NetworkPolicy } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata, selectorLabels } from "./metadata.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";

/**
 * Ingress to the brokers: clients reach the client port (Envoy's when rate limiting is on, so it
 * cannot be bypassed: Envoy reaches the broker's own port on loopback) and the gateway when it is
 * on, anyone may scrape metrics, and only peers reach the cluster port (docs/security.md#the-cluster-port).
 * Egress stays open: brokers dial the API server, their store and the collector.
 */
export function renderNetworkPolicy(broker: MessageBroker): V1NetworkPolicy {
  const brokers = { matchLabels: selectorLabels(broker, "broker") };
  const clientPort = broker.spec.rateLimit.enabled ? ports.envoyGrpc.name : ports.grpc.name;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: childMetadata(broker, {
      name: childNames(broker).networkPolicy,
      component: "broker",
    }),
    spec: {
      podSelector: brokers,
      policyTypes: ["Ingress"],
      ingress: [
        {
          ports: [
            { protocol: "TCP", port: clientPort },
            { protocol: "TCP", port: ports.http.name },
            ...(broker.spec.web.enabled ? [{ protocol: "TCP", port: ports.web.name }] : []),
          ],
        },
        {
          _from: [{ podSelector: brokers }],
          ports: [{ protocol: "TCP", port: ports.cluster.name }],
        },
      ],
    },
  };
}

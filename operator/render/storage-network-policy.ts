import type { V1NetworkPolicy, V1NetworkPolicyIngressRule } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata, selectorLabels, type Component } from "./metadata.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";

/** A managed store accepts its clients, the brokers, and (Cassandra) its own ring; nothing else. */
export function renderStorageNetworkPolicy(
  broker: MessageBroker,
  store: Extract<Component, "postgres" | "cassandra">,
): V1NetworkPolicy {
  const brokers = { podSelector: { matchLabels: selectorLabels(broker, "broker") } };
  const nodes = { matchLabels: selectorLabels(broker, store) };
  const ingress: V1NetworkPolicyIngressRule[] =
    store === "postgres"
      ? [{ _from: [brokers], ports: [{ protocol: "TCP", port: ports.postgres.name }] }]
      : [
          { _from: [brokers], ports: [{ protocol: "TCP", port: ports.cql.name }] },
          {
            _from: [{ podSelector: nodes }],
            ports: [
              { protocol: "TCP", port: ports.cql.name },
              { protocol: "TCP", port: ports.cassandraIntraNode.name },
            ],
          },
        ];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: childMetadata(broker, {
      name: childNames(broker).storageNetworkPolicy,
      component: store,
    }),
    spec: { podSelector: nodes, policyTypes: ["Ingress"], ingress },
  };
}

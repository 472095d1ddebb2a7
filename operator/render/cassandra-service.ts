import type { V1Service } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata, selectorLabels } from "./metadata.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";

/**
 * Headless: each node gets a DNS name (the first is the seed), and the name of the Service
 * resolves to every node, which the brokers use as contact point. Not-ready nodes are published
 * so that a ring can form before any node is ready.
 */
export function renderCassandraService(broker: MessageBroker): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMetadata(broker, { name: childNames(broker).cassandra, component: "cassandra" }),
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(broker, "cassandra"),
      ports: [
        { name: ports.cql.name, port: ports.cql.port, targetPort: ports.cql.name, protocol: "TCP" },
        {
          name: ports.cassandraIntraNode.name,
          port: ports.cassandraIntraNode.port,
          targetPort: ports.cassandraIntraNode.name,
          protocol: "TCP",
        },
      ],
    },
  };
}

import type { V1Service } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata, selectorLabels } from "./metadata.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";

export function renderPostgresService(broker: MessageBroker): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMetadata(broker, { name: childNames(broker).postgres, component: "postgres" }),
    spec: {
      selector: selectorLabels(broker, "postgres"),
      ports: [
        {
          name: ports.postgres.name,
          port: ports.postgres.port,
          targetPort: ports.postgres.name,
          protocol: "TCP",
        },
      ],
    },
  };
}

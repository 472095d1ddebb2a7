import * as api from "../api/v1alpha1/index.ts";
import type { SchemaNode } from "./schema-node.ts";
import { ageColumn, customResourceDefinition, openApiSchemaOf } from "./custom-resource.ts";

export function messageBrokerOpenApiSchema(): SchemaNode {
  return openApiSchemaOf(api.messageBrokerSchema);
}

/** The MessageBroker CustomResourceDefinition, as applied to the cluster and committed under crds/. */
export function messageBrokerCrd() {
  return customResourceDefinition({
    names: {
      kind: api.kind,
      listKind: api.listKind,
      plural: api.plural,
      singular: api.singular,
      shortNames: api.shortNames,
    },
    subresources: {
      status: {},
      scale: {
        specReplicasPath: ".spec.replicas",
        statusReplicasPath: ".status.replicas",
        labelSelectorPath: ".status.selector",
      },
    },
    printerColumns: [
      {
        name: "Replicas",
        type: "integer",
        jsonPath: ".spec.replicas",
        description: "Desired broker pods.",
      },
      {
        name: "Ready",
        type: "integer",
        jsonPath: ".status.readyReplicas",
        description: "Ready broker pods.",
      },
      {
        name: "Workers",
        type: "integer",
        jsonPath: ".status.workers",
        description: "Broker processes per pod, each owning its own subjects.",
        priority: 1,
      },
      {
        name: "Storage",
        type: "string",
        jsonPath: ".spec.storage.type",
        description: "Message store.",
      },
      {
        name: "TLS",
        type: "string",
        jsonPath: ".status.security.tls",
        description: "Where the brokers' certificate comes from, or Disabled.",
      },
      {
        name: "Auth",
        type: "string",
        jsonPath: ".status.security.auth",
        description: "Whether clients must authenticate.",
      },
      {
        name: "Phase",
        type: "string",
        jsonPath: ".status.phase",
        description: "Summary of the state.",
      },
      ageColumn,
    ],
    schema: messageBrokerOpenApiSchema(),
  });
}

import * as api from "../api/v1alpha1/index.ts";
import type { SchemaNode } from "./schema-node.ts";
import { ageColumn, customResourceDefinition, openApiSchemaOf } from "./custom-resource.ts";

export function messageBrokerUserOpenApiSchema(): SchemaNode {
  return openApiSchemaOf(api.messageBrokerUserSchema);
}

/** The MessageBrokerUser CustomResourceDefinition, as applied to the cluster and committed under crds/. */
export function messageBrokerUserCrd() {
  return customResourceDefinition({
    names: {
      kind: api.userKind,
      listKind: api.userListKind,
      plural: api.userPlural,
      singular: api.userSingular,
      shortNames: api.userShortNames,
    },
    subresources: { status: {} },
    printerColumns: [
      {
        name: "Broker",
        type: "string",
        jsonPath: ".spec.broker",
        description: "The MessageBroker that accepts the user.",
      },
      {
        name: "Ready",
        type: "string",
        jsonPath: '.status.conditions[?(@.type=="Ready")].status',
        description: "Whether the user is in the broker's auth file.",
      },
      {
        name: "Secret",
        type: "string",
        jsonPath: ".status.secretName",
        description: "The Secret with the user's token, address and CA.",
      },
      ageColumn,
    ],
    schema: messageBrokerUserOpenApiSchema(),
  });
}

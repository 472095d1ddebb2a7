import * as api from "../api/v1alpha1/index.ts";
import type { SchemaNode } from "./schema-node.ts";
import { crdSchemaOf, toStructural } from "./structural.ts";

/** The whole-object schema: spec and status from zod; apiVersion, kind and metadata as every CRD has them. */
export function messageBrokerOpenApiSchema(): SchemaNode {
  const { shape } = api.messageBrokerSchema;
  const root = api.messageBrokerSchema.meta() ?? {};
  return toStructural({
    type: "object",
    description: root.description,
    "x-kubernetes-validations": root[
      "x-kubernetes-validations"
    ] as SchemaNode["x-kubernetes-validations"],
    properties: {
      apiVersion: {
        type: "string",
        description:
          "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.",
      },
      kind: {
        type: "string",
        description:
          "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.",
      },
      metadata: { type: "object" },
      spec: crdSchemaOf(shape.spec),
      status: crdSchemaOf(shape.status),
    },
  });
}

export const crdName = `${api.plural}.${api.group}`;

/** The MessageBroker CustomResourceDefinition, as applied to the cluster and committed under crds/. */
export function messageBrokerCrd() {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crdName, labels: { "app.kubernetes.io/part-of": "herald" } },
    spec: {
      group: api.group,
      scope: "Namespaced",
      names: {
        kind: api.kind,
        listKind: api.listKind,
        plural: api.plural,
        singular: api.singular,
        shortNames: api.shortNames,
        categories: api.categories,
      },
      versions: [
        {
          name: api.version,
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: ".spec.replicas",
              statusReplicasPath: ".status.replicas",
              labelSelectorPath: ".status.selector",
            },
          },
          additionalPrinterColumns: [
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
              name: "Storage",
              type: "string",
              jsonPath: ".spec.storage.type",
              description: "Message store.",
            },
            {
              name: "Phase",
              type: "string",
              jsonPath: ".status.phase",
              description: "Summary of the state.",
            },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: { openAPIV3Schema: messageBrokerOpenApiSchema() },
        },
      ],
    },
  };
}

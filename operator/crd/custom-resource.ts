import type { z } from "zod";
import { categories, group, version } from "../api/v1alpha1/index.ts";
import type { SchemaNode } from "./schema-node.ts";
import { crdSchemaOf, toStructural } from "./structural.ts";

/** A custom resource's zod schema: spec and status, with its root description and rules in meta. */
type ResourceSchema = z.ZodObject<{ spec: z.ZodType; status: z.ZodType }>;

/** The whole-object schema: spec and status from zod; apiVersion, kind and metadata as every CRD has them. */
export function openApiSchemaOf(schema: ResourceSchema): SchemaNode {
  const root = schema.meta() ?? {};
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
      spec: crdSchemaOf(schema.shape.spec),
      status: crdSchemaOf(schema.shape.status),
    },
  });
}

export interface PrinterColumn {
  name: string;
  type: "integer" | "string" | "date";
  jsonPath: string;
  description?: string;
  /** 1: shown by `kubectl get -o wide` only. */
  priority?: 0 | 1;
}

/** A namespaced Herald CustomResourceDefinition of one served version, as applied and committed under crds/. */
export function customResourceDefinition(definition: {
  names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[] };
  subresources: Record<string, object>;
  printerColumns: PrinterColumn[];
  schema: SchemaNode;
}) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${definition.names.plural}.${group}`,
      labels: { "app.kubernetes.io/part-of": "herald" },
    },
    spec: {
      group,
      scope: "Namespaced",
      names: { ...definition.names, categories },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: definition.subresources,
          additionalPrinterColumns: definition.printerColumns,
          schema: { openAPIV3Schema: definition.schema },
        },
      ],
    },
  };
}

export type CustomResourceDefinition = ReturnType<typeof customResourceDefinition>;

/** The printer column every CRD ends with. */
export const ageColumn: PrinterColumn = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
};

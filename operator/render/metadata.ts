import type { V1ObjectMeta, V1OwnerReference } from "@kubernetes/client-node";
import { apiVersion, kind, type MessageBroker } from "../api/v1alpha1/index.ts";

export type Component = "broker" | "postgres" | "cassandra";

const appNames: Record<Component, string> = {
  broker: "herald-broker",
  postgres: "postgresql",
  cassandra: "cassandra",
};

/** The labels that select a component's pods. Immutable once a StatefulSet exists: never change them. */
export function selectorLabels(
  broker: MessageBroker,
  component: Component,
): Record<string, string> {
  return {
    "app.kubernetes.io/name": appNames[component],
    "app.kubernetes.io/instance": broker.metadata.name,
  };
}

/** selectorLabels as a label selector string, as list calls and the scale subresource take it. */
export function labelSelector(broker: MessageBroker, component: Component): string {
  return Object.entries(selectorLabels(broker, component))
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

/** The recommended Kubernetes labels every child carries. */
export function standardLabels(
  broker: MessageBroker,
  component: Component,
): Record<string, string> {
  return {
    ...selectorLabels(broker, component),
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "herald",
    "app.kubernetes.io/managed-by": "herald-operator",
  };
}

/** Garbage collection follows this reference; `controller` lets the operator map a child back to its broker. */
export function ownerReference(broker: MessageBroker): V1OwnerReference {
  return {
    apiVersion,
    kind,
    name: broker.metadata.name,
    uid: broker.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

interface ChildMetadataOptions {
  name: string;
  component: Component;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Metadata of a child: its name in the broker's namespace, standard labels and the owner reference. */
export function childMetadata(broker: MessageBroker, options: ChildMetadataOptions): V1ObjectMeta {
  const { name, component, labels = {}, annotations } = options;
  return {
    name,
    namespace: broker.metadata.namespace,
    labels: { ...labels, ...standardLabels(broker, component) },
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
    ownerReferences: [ownerReference(broker)],
  };
}

import type { ResourceKind } from "../../lib/kube/resource-kind.ts";

/** The MessageBroker custom resource itself. */
export const messageBrokerKind: ResourceKind = {
  group: "herald.dev",
  version: "v1alpha1",
  kind: "MessageBroker",
  plural: "messagebrokers",
};

/** A user of a MessageBroker (operator/users): watched, never owned. */
export const messageBrokerUserKind: ResourceKind = {
  group: "herald.dev",
  version: "v1alpha1",
  kind: "MessageBrokerUser",
  plural: "messagebrokerusers",
};

/** Prometheus Operator's ServiceMonitor: owned only while its CRD is installed. */
export const serviceMonitorKind: ResourceKind = {
  group: "monitoring.coreos.com",
  version: "v1",
  kind: "ServiceMonitor",
  plural: "servicemonitors",
};

export const serviceMonitorCrdName = `${serviceMonitorKind.plural}.${serviceMonitorKind.group}`;

/** cert-manager's Certificate: owned only while its CRD is installed (spec.tls.issuerRef). */
export const certificateKind: ResourceKind = {
  group: "cert-manager.io",
  version: "v1",
  kind: "Certificate",
  plural: "certificates",
};

export const certificateCrdName = `${certificateKind.plural}.${certificateKind.group}`;

/** Kinds of other projects' CRDs: watched, rendered and owned only while their CRD is installed. */
export const optionalOwnedKinds: readonly { kind: ResourceKind; crdName: string }[] = [
  { kind: serviceMonitorKind, crdName: serviceMonitorCrdName },
  { kind: certificateKind, crdName: certificateCrdName },
];

export const customResourceDefinitionKind: ResourceKind = {
  group: "apiextensions.k8s.io",
  version: "v1",
  kind: "CustomResourceDefinition",
  plural: "customresourcedefinitions",
};

export const persistentVolumeClaimKind: ResourceKind = {
  group: "",
  version: "v1",
  kind: "PersistentVolumeClaim",
  plural: "persistentvolumeclaims",
};

/**
 * Every kind a MessageBroker's children may have, always watched. The operator's footprint:
 * a child of any other kind is refused, and a watched child no longer rendered is deleted.
 */
export const alwaysOwnedKinds: readonly ResourceKind[] = [
  { group: "apps", version: "v1", kind: "StatefulSet", plural: "statefulsets" },
  { group: "", version: "v1", kind: "Service", plural: "services" },
  { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps" },
  { group: "", version: "v1", kind: "Secret", plural: "secrets" },
  { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts" },
  { group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles" },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "RoleBinding",
    plural: "rolebindings",
  },
  { group: "policy", version: "v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets" },
  { group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy", plural: "networkpolicies" },
];

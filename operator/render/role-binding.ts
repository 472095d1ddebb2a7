import type { V1RoleBinding } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata } from "./metadata.ts";
import { childNames } from "./names.ts";

export function renderRoleBinding(broker: MessageBroker): V1RoleBinding {
  const names = childNames(broker);
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: childMetadata(broker, { name: names.roleBinding, component: "broker" }),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: names.role },
    subjects: [
      { kind: "ServiceAccount", name: names.serviceAccount, namespace: broker.metadata.namespace },
    ],
  };
}

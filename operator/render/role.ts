import type { V1Role } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata } from "./metadata.ts";
import { childNames } from "./names.ts";

/**
 * Read access to one object: the broker's membership ConfigMap. RBAC authorizes `list` and
 * `watch` under resourceNames only for requests that name the object, so brokers must list and
 * watch with `fieldSelector=metadata.name=<broker>-membership`.
 */
export function renderRole(broker: MessageBroker): V1Role {
  const names = childNames(broker);
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: childMetadata(broker, { name: names.role, component: "broker" }),
    rules: [
      {
        apiGroups: [""],
        resources: ["configmaps"],
        resourceNames: [names.membership],
        verbs: ["get", "list", "watch"],
      },
    ],
  };
}

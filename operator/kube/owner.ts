import type { KubernetesObject, V1OwnerReference } from "@kubernetes/client-node";
import { messageBrokerKind } from "./owned-kinds.ts";
import { apiVersionOf } from "../../lib/kube/resource-kind.ts";

/** The MessageBroker that controls `object`, from its controller owner reference. */
export function controllingBroker(object: KubernetesObject): V1OwnerReference | undefined {
  const group = `${messageBrokerKind.group}/`;
  return object.metadata?.ownerReferences?.find(
    (ref) =>
      ref.controller === true &&
      ref.kind === messageBrokerKind.kind &&
      ref.apiVersion.startsWith(group),
  );
}

/** Whether `object` is controlled by the MessageBroker with this uid. */
export function isControlledBy(object: KubernetesObject, ownerUid: string): boolean {
  return controllingBroker(object)?.uid === ownerUid;
}

/** The controller owner reference a child of `owner` carries (garbage collection follows it). */
export function ownerReferenceTo(owner: KubernetesObject): V1OwnerReference {
  return {
    apiVersion: apiVersionOf(messageBrokerKind),
    kind: messageBrokerKind.kind,
    name: owner.metadata?.name ?? "",
    uid: owner.metadata?.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

import type { V1ConfigMap } from "@kubernetes/client-node";
import { membershipConfigMapKey, type Membership } from "../../contract/membership.ts";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata } from "./metadata.ts";
import { childNames } from "./names.ts";

/**
 * The membership the brokers watch (docs/architecture.md#cluster-protocol). Its content changes only when the operator
 * publishes a new epoch; it is never part of the config hash, so it never restarts a pod.
 */
export function renderMembershipConfigMap(
  broker: MessageBroker,
  membership: Membership,
): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMetadata(broker, { name: childNames(broker).membership, component: "broker" }),
    data: {
      [membershipConfigMapKey]: JSON.stringify({
        epoch: membership.epoch,
        members: membership.members,
      }),
    },
  };
}

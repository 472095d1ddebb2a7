import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from "@kubernetes/client-node";
import {
  apiVersion,
  group,
  userKind,
  userPlural,
  version,
  type MessageBrokerUserStatus,
} from "../api/v1alpha1/index.ts";
import { isNotFound } from "../../lib/kube/api-error.ts";
import { fieldManager } from "../kube/apply.ts";

export interface UserRef {
  namespace: string;
  name: string;
}

export type UserStatusWriter = (user: UserRef, status: MessageBrokerUserStatus) => Promise<void>;

/** Server-side applies a MessageBrokerUser's status; a user deleted meanwhile needs none. */
export function userStatusWriter(kubeConfig: KubeConfig): UserStatusWriter {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  return async ({ namespace, name }, status) => {
    try {
      await api.patchNamespacedCustomObjectStatus(
        {
          group,
          version,
          plural: userPlural,
          namespace,
          name,
          body: { apiVersion, kind: userKind, metadata: { name, namespace }, status },
          fieldManager,
          force: true,
        },
        setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };
}

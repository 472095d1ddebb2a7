import { isDeepStrictEqual } from "node:util";
import type {
  MessageBrokerUser,
  MessageBrokerUserStatus,
  UserConditionType,
} from "../api/v1alpha1/index.ts";
import { withTransitionTime, type ConditionState } from "../status/conditions.ts";
import type { UserVerdict } from "./auth-file.ts";

/** The verdict for a user whose MessageBroker does not exist. */
export function brokerNotFound(user: MessageBrokerUser): UserVerdict {
  return {
    ready: false,
    reason: "BrokerNotFound",
    message: `MessageBroker ${user.spec.broker} does not exist in namespace ${user.metadata.namespace}`,
  };
}

/** The status a verdict gives a user: Ready, the Secret's name and the permissions in effect. */
export function userStatus(
  user: MessageBrokerUser,
  verdict: UserVerdict,
  now: string,
): MessageBrokerUserStatus {
  const state: ConditionState<UserConditionType> = verdict.ready
    ? {
        type: "Ready",
        status: "True",
        reason: "InAuthFile",
        message: `In the auth file of MessageBroker ${user.spec.broker}; brokers accept it at their next reload`,
      }
    : { type: "Ready", status: "False", reason: verdict.reason, message: verdict.message };
  const { generation } = user.metadata;
  return {
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions: [withTransitionTime(state, user.status?.conditions, generation, now)],
    ...(verdict.ready && verdict.secretName ? { secretName: verdict.secretName } : {}),
    ...(verdict.ready ? { permissions: verdict.permissions } : {}),
  };
}

/** Whether writing `next` would change what the user's status says (a steady state writes nothing). */
export function statusChanged(
  previous: MessageBrokerUserStatus | undefined,
  next: MessageBrokerUserStatus,
): boolean {
  const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? {}));
  return !isDeepStrictEqual(plain(previous), plain(next));
}

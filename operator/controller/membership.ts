import { isDeepStrictEqual } from "node:util";
import {
  membershipConfigMapKey,
  membershipSchema,
  type Membership,
} from "../../contract/membership.ts";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { brokerPodName, childNames, ports } from "../render/index.ts";

/** The membership last published, read from the cached `<broker>-membership` ConfigMap. */
export function publishedMembership(configMap: unknown): Membership | undefined {
  const data = (configMap as { data?: Record<string, string> } | undefined)?.data?.[
    membershipConfigMapKey
  ];
  if (data === undefined) return undefined;
  try {
    const parsed = membershipSchema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The membership of `replicas` broker pods. The epoch stays while the member list is unchanged
 * and moves past the published one when it changes, so it is derived from the cluster alone.
 */
export function membershipFor(
  broker: MessageBroker,
  replicas: number,
  published: Membership | undefined,
  clusterDomain: string,
): Membership {
  const names = childNames(broker);
  const members = Array.from({ length: replicas }, (_, ordinal) => {
    const pod = brokerPodName(broker, ordinal);
    const host = `${pod}.${names.headlessService}.${broker.metadata.namespace}.svc.${clusterDomain}`;
    // Clients reach a member through Envoy when rate limiting is on; members call its cluster port.
    const clientPort = broker.spec.rateLimit.enabled ? ports.envoyGrpc.port : ports.grpc.port;
    return {
      name: pod,
      address: `${host}:${clientPort}`,
      clusterAddress: `${host}:${ports.cluster.port}`,
    };
  });
  if (published && isDeepStrictEqual(published.members, members)) return published;
  const previousEpoch = Math.max(published?.epoch ?? 0, broker.status?.membershipEpoch ?? 0);
  return { epoch: previousEpoch + 1, members };
}

import { isDeepStrictEqual } from "node:util";
import {
  membershipConfigMapKey,
  membershipSchema,
  type Member,
  type Membership,
} from "../../contract/membership.ts";
import { memberPod, workerMemberName, workerPort } from "../../contract/ports.ts";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { brokerPodName, childNames, ports } from "../render/index.ts";
import { desiredWorkers } from "../render/workers.ts";

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
 * The membership of `replicas` broker pods, each contributing its workers: the live pod's count
 * from `podWorkers` (render/workers.ts runningWorkers), else the spec's. The epoch stays while the
 * member list is unchanged and moves past the published one when it changes, so it is derived
 * from the cluster alone.
 */
export function membershipFor(
  broker: MessageBroker,
  replicas: number,
  published: Membership | undefined,
  clusterDomain: string,
  podWorkers: ReadonlyMap<string, number>,
): Membership {
  const names = childNames(broker);
  const members = Array.from({ length: replicas }, (_, ordinal) => {
    const pod = brokerPodName(broker, ordinal);
    const host = `${pod}.${names.headlessService}.${broker.metadata.namespace}.svc.${clusterDomain}`;
    return podMembers(broker, pod, host, podWorkers.get(pod) ?? desiredWorkers(broker.spec));
  }).flat();
  if (published && isDeepStrictEqual(published.members, members)) return published;
  const previousEpoch = Math.max(published?.epoch ?? 0, broker.status?.membershipEpoch ?? 0);
  return { epoch: previousEpoch + 1, members };
}

/**
 * The members of one pod. Clients reach a member through Envoy when rate limiting is on (a routing
 * client then lands on any worker of the pod, which forwards); members call its cluster port.
 * A pod of one worker is one member named after it; several workers are `<pod>~<i>`, each on its
 * own ports (contract/ports.ts).
 */
function podMembers(broker: MessageBroker, pod: string, host: string, workers: number): Member[] {
  const limited = broker.spec.rateLimit.enabled;
  if (workers === 1) {
    const clientPort = limited ? ports.envoyGrpc.port : ports.grpc.port;
    return [
      {
        name: pod,
        address: `${host}:${clientPort}`,
        clusterAddress: `${host}:${ports.cluster.port}`,
      },
    ];
  }
  return Array.from({ length: workers }, (_, index) => {
    const clientPort = limited ? ports.envoyGrpc.port : workerPort(ports.workerGrpc.port, index);
    return {
      name: workerMemberName(pod, index),
      address: `${host}:${clientPort}`,
      clusterAddress: `${host}:${workerPort(ports.workerCluster.port, index)}`,
    };
  });
}

/** The pods of a membership, each once, in member order (pods' workers are listed together). */
export function membershipPods(membership: Membership): string[] {
  return [...new Set(membership.members.map((member) => memberPod(member.name)))];
}

/** Whether a membership lists the workers of a pod running several. */
export function listsWorkers(membership: Membership): boolean {
  return membership.members.some((member) => memberPod(member.name) !== member.name);
}

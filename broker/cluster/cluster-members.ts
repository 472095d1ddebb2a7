/**
 * What a routing client learns of the cluster (broker/README.md#routing-clients): the
 * ClusterMembers answer (the adopted epoch and its members), and the epoch that the member a
 * client calls sends with its answers (`x-herald-epoch`), so a client notices a change of
 * membership without asking again.
 */
import { Metadata } from "@grpc/grpc-js";
import type { BrokerServer, ClusterMembersResponse } from "../api/gen/broker.ts";
import { ClusterUnavailableError, toGrpcStatus } from "../errors.ts";
import type { ClusterView } from "./cluster-view.ts";

/** Sent with a client's answers (unary trailers, stream headers): the epoch of the member called. */
export const epochMetadataKey = "x-herald-epoch";

/** Answers the adopted membership; UNAVAILABLE before the first one. */
export function createClusterMembersHandler(view: ClusterView): BrokerServer["clusterMembers"] {
  return (_call, callback) => {
    const membership = view.current;
    if (membership === undefined) {
      callback(toGrpcStatus(new ClusterUnavailableError("no cluster membership adopted yet")));
      return;
    }
    const response: ClusterMembersResponse = {
      epoch: membership.epoch,
      members: membership.members.map(({ name, address }) => ({ name, address })),
      self: view.self,
    };
    callback(null, response);
  };
}

/**
 * The metadata naming the adopted epoch, made once per epoch: grpc-js copies what a call sends,
 * so every answer may share it. Undefined before the first adoption.
 */
export function epochMetadata(view: ClusterView): () => Metadata | undefined {
  let made: { readonly epoch: number; readonly metadata: Metadata } | undefined;
  return () => {
    if (!view.adopted) return undefined;
    if (made?.epoch !== view.epoch) {
      const metadata = new Metadata();
      metadata.set(epochMetadataKey, String(view.epoch));
      made = { epoch: view.epoch, metadata };
    }
    return made.metadata;
  };
}

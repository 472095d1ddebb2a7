/**
 * What one worker of a pod running several is (docs/architecture.md#workers): a member named
 * `<pod>~<i>` that serves the pod's shared gRPC port, its own gRPC port and its own cluster port.
 */
import type { Membership } from "../../contract/membership.ts";
import { workerMemberName, workerPort } from "../../contract/ports.ts";
import { formatHostPort, type HostPort } from "../../lib/process/host-port.ts";
import type { BrokerConfig } from "../config.ts";

const shifted = (base: HostPort, index: number): HostPort => ({
  ...base,
  port: workerPort(base.port, index),
});

/** The configuration worker `index` runs with: the pod's, as the member it is. */
export function workerConfig(
  config: BrokerConfig,
  index: number,
): BrokerConfig & { readonly workerGrpcAddress: HostPort } {
  const { cluster, workers } = config;
  const alone = cluster.membership.kind === "static" && cluster.membership.members === undefined;
  return {
    ...config,
    workerGrpcAddress: shifted(workers.grpcBase, index),
    cluster: {
      ...cluster,
      self: workerMemberName(cluster.self, index),
      listenAddress: shifted(workers.clusterBase, index),
      listenVariable: "HERALD_WORKER_CLUSTER_ADDR",
      membership: alone
        ? { kind: "static", members: podWorkersMembership(config) }
        : cluster.membership,
    },
  };
}

/** A pod's workers as the whole cluster: what a pod given no membership serves. */
export function podWorkersMembership({ cluster, workers }: BrokerConfig): Membership {
  const members = Array.from({ length: workers.count }, (_, index) => ({
    name: workerMemberName(cluster.self, index),
    address: formatHostPort(shifted(workers.grpcBase, index)),
    clusterAddress: formatHostPort(shifted(workers.clusterBase, index)),
  }));
  return { epoch: 1, members };
}

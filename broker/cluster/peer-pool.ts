/**
 * One gRPC channel per peer address, reused by every forwarded call, relay
 * stream and handoff call to that peer (the Broker and Cluster clients share
 * it). Channels of peers that left the membership are closed.
 */
import { type ChannelCredentials, type ChannelOptions, credentials } from "@grpc/grpc-js";
import { BrokerClient } from "../api/gen/broker.ts";
import { ClusterClient } from "../api/gen/cluster.ts";

export interface Peer {
  readonly broker: BrokerClient;
  readonly cluster: ClusterClient;
}

const channelOptions: ChannelOptions = {
  "grpc.enable_channelz": 0,
  "grpc.max_receive_message_length": -1,
  "grpc.max_send_message_length": -1,
};

export class PeerPool {
  readonly #peers = new Map<string, Peer>();
  readonly #credentials: ChannelCredentials;

  /** `channelCredentials`: mTLS with this member's certificate when TLS is on (broker/README.md#security). */
  constructor(channelCredentials: ChannelCredentials = credentials.createInsecure()) {
    this.#credentials = channelCredentials;
  }

  get(address: string): Peer {
    let peer = this.#peers.get(address);
    if (peer === undefined) {
      const broker = new BrokerClient(address, this.#credentials, channelOptions);
      // The same channel (connection) carries the internal Cluster calls.
      const cluster = new ClusterClient(address, this.#credentials, {
        ...channelOptions,
        channelOverride: broker.getChannel(),
      });
      peer = { broker, cluster };
      this.#peers.set(address, peer);
    }
    return peer;
  }

  /** Closes channels to addresses not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const [address, peer] of this.#peers) {
      if (keep.has(address)) continue;
      peer.broker.close();
      this.#peers.delete(address);
    }
  }

  close(): void {
    this.retain(new Set());
  }
}

/**
 * A pattern Subscribe on a cluster of several members. The subjects a pattern
 * matches are owned by different members, so the member a client calls
 * subscribes to the pattern on every member (each serves the subjects it owns,
 * marked forwarded) and merges what arrives. Headers go out once every member
 * has registered the subscription; members that join later are subscribed too,
 * and an upstream that fails is subscribed again. Like any pattern
 * subscription it is live only: what a failed upstream missed is not replayed.
 */
import { type ClientReadableStream, Metadata, type ServerWritableStream } from "@grpc/grpc-js";
import type { MessageResponse, SubscribeRequest } from "../api/gen/broker.ts";
import { encodeMessageResponse } from "../api/wire.ts";
import type { ClusterView } from "./cluster-view.ts";
import { peerMetadata } from "./forwarded-metadata.ts";
import type { PeerPool } from "./peer-pool.ts";
import { peerAddress } from "../../contract/membership.ts";

export interface PatternRelayDeps {
  readonly view: ClusterView;
  readonly peers: PeerPool;
  /** Pause before a failed upstream is subscribed again. */
  readonly retryDelayMs: number;
}

export function createPatternRelay(
  deps: PatternRelayDeps,
): (call: ServerWritableStream<SubscribeRequest, Buffer>) => void {
  const { view, peers } = deps;
  return (call) => {
    const upstreams = new Map<string, ClientReadableStream<MessageResponse>>();
    const registered = new Set<string>();
    const timers = new Set<NodeJS.Timeout>();
    let headersSent = false;
    let ended = false;

    const announce = () => {
      if (headersSent || ended) return;
      if ([...upstreams.keys()].some((address) => !registered.has(address))) return;
      headersSent = true;
      call.sendMetadata(new Metadata());
    };

    const join = (address: string) => {
      if (ended || upstreams.has(address)) return;
      const upstream = peers
        .get(address)
        .broker.subscribe(
          { subject: call.request.subject, startId: 0 },
          peerMetadata(view.epoch, call.metadata),
        );
      upstreams.set(address, upstream);
      upstream.once("metadata", () => {
        registered.add(address);
        announce();
      });
      upstream.on("data", (message: MessageResponse) => {
        if (!ended) call.write(encodeMessageResponse(message.subject, message.id, message.body));
      });
      const lost = () => {
        if (upstreams.get(address) !== upstream) return;
        upstreams.delete(address);
        registered.delete(address);
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (view.current?.members.some((member) => peerAddress(member) === address))
            join(address);
        }, deps.retryDelayMs);
        timers.add(timer);
      };
      upstream.on("error", lost);
      upstream.on("end", lost);
    };

    const follow = () => {
      const addresses = new Set(view.current?.members.map(peerAddress));
      for (const [address, upstream] of upstreams) {
        if (addresses.has(address)) continue;
        upstreams.delete(address);
        registered.delete(address);
        upstream.cancel();
      }
      for (const address of addresses) join(address);
      announce();
    };

    const stopFollowing = view.onEpoch(() => follow());
    call.on("cancelled", () => {
      ended = true;
      stopFollowing();
      for (const timer of timers) clearTimeout(timer);
      for (const upstream of upstreams.values()) upstream.cancel();
      upstreams.clear();
    });
    follow();
  };
}

/**
 * Consume on a cluster of several members. A group's state for a subject lives
 * with the subject's owner, so the member a client calls joins the group on
 * every member (each serves the subjects it owns) and merges their deliveries
 * into the client's stream; each ack goes to its subject's current owner. When
 * the membership changes, members that left are dropped and new ones joined; an
 * upstream that fails for a retryable reason is joined again.
 */
import { type ClientDuplexStream, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import type { ConsumeRequest, Delivery } from "../api/gen/broker.ts";
import type { ClusterView } from "../cluster/cluster-view.ts";
import { peerMetadata } from "../cluster/forwarded-metadata.ts";
import type { PeerPool } from "../cluster/peer-pool.ts";
import { InvalidArgumentError, toGrpcStatus } from "../errors.ts";
import type { ConsumeCall } from "./consume-handler.ts";
import { peerAddress } from "../../contract/membership.ts";

export interface ConsumeRelayDeps {
  readonly view: ClusterView;
  readonly peers: PeerPool;
  /** Pause before an upstream that failed is joined again. */
  readonly retryDelayMs: number;
}

/** Failures that the same start would meet again: they end the client's stream. */
const finalCodes = new Set<number>([
  status.INVALID_ARGUMENT,
  status.FAILED_PRECONDITION,
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.UNIMPLEMENTED,
]);

type Upstream = ClientDuplexStream<ConsumeRequest, Delivery>;

export function createConsumeRelay(deps: ConsumeRelayDeps): (call: ConsumeCall) => void {
  const { view, peers } = deps;
  return (call) => {
    const upstreams = new Map<string, Upstream>();
    const timers = new Set<NodeJS.Timeout>();
    let start: ConsumeRequest | undefined;
    let joined = false;
    let ended = false;
    let stopFollowing = () => {};

    const end = (err?: { code?: number; details?: string } | Error) => {
      if (ended) return;
      ended = true;
      stopFollowing();
      for (const timer of timers) clearTimeout(timer);
      for (const upstream of upstreams.values()) upstream.cancel();
      upstreams.clear();
      if (err === undefined) call.end();
      else call.emit("error", err instanceof Error ? toGrpcStatus(err) : err);
    };

    const join = (address: string) => {
      if (ended || start === undefined || upstreams.has(address)) return;
      const upstream = peers.get(address).broker.consume(peerMetadata(view.epoch, call.metadata));
      upstreams.set(address, upstream);
      upstream.once("metadata", () => {
        if (joined || ended) return;
        joined = true;
        call.sendMetadata(new Metadata());
      });
      upstream.on("data", (delivery: Delivery) => {
        if (!ended) call.write(delivery);
      });
      const lost = (err?: ServiceError) => {
        if (upstreams.get(address) !== upstream) return;
        upstreams.delete(address);
        if (err !== undefined && finalCodes.has(err.code)) return end(err);
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (view.current?.members.some((member) => peerAddress(member) === address))
            join(address);
        }, deps.retryDelayMs);
        timers.add(timer);
      };
      upstream.on("error", lost);
      upstream.on("end", () => lost());
      upstream.write(start);
    };

    const follow = () => {
      const addresses = new Set(view.current?.members.map(peerAddress));
      for (const [address, upstream] of upstreams) {
        if (addresses.has(address)) continue;
        upstreams.delete(address);
        upstream.cancel();
      }
      for (const address of addresses) join(address);
    };

    call.on("data", (request: ConsumeRequest) => {
      if (ended) return;
      if (start === undefined) {
        if (request.start === undefined)
          return end(new InvalidArgumentError("the first ConsumeRequest must be start"));
        start = request;
        stopFollowing = view.onEpoch(() => follow());
        follow();
        return;
      }
      const ack = request.ack;
      if (ack === undefined) return end(new InvalidArgumentError("expected an ack"));
      // The subject's current owner holds its pending set (a moved subject's, from the store).
      const owner = view.ownerOf(ack.subject);
      const upstream = owner === undefined ? undefined : upstreams.get(peerAddress(owner));
      upstream?.write(request);
    });
    call.on("end", () => end());
    call.on("cancelled", () => end());
  };
}

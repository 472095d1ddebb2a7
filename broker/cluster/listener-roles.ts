/**
 * What each listener accepts once calls between members have their own port (HERALD_CLUSTER_ADDR,
 * docs/security.md#the-cluster-port): the client port refuses calls marked as forwarded by a
 * member, and the cluster port serves only those and the internal Cluster service. The marks are
 * read from the metadata before any handler runs, so a refused call costs nothing else.
 */
import {
  type Metadata,
  type ServerInterceptingCallInterface,
  ServerInterceptingCall,
  type ServerInterceptor,
  status,
} from "@grpc/grpc-js";
import { forwardedEpochKey } from "./forwarded-metadata.ts";

const isForwarded = (metadata: Metadata) => metadata.get(forwardedEpochKey).length > 0;

/** Answers `refusal(path, metadata)` in place of the call when it is defined; else passes it on. */
const refuseWhen =
  (
    refusal: (path: string, metadata: Metadata) => { code: status; details: string } | undefined,
  ): ServerInterceptor =>
  (method, call: ServerInterceptingCallInterface) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, passOn) => {
            const refused = refusal(method.path, metadata);
            if (refused === undefined) passOn(metadata);
            else call.sendStatus(refused);
          },
        }),
    });

/**
 * The client port: a forwarded call belongs on the cluster port. UNAVAILABLE, since the sender is
 * a member of an earlier version during a rolling upgrade; its client repeats the call.
 */
export const refuseForwardedCalls: ServerInterceptor = refuseWhen((_path, metadata) =>
  isForwarded(metadata)
    ? {
        code: status.UNAVAILABLE,
        details: "calls between members are served on the cluster port, not the client port",
      }
    : undefined,
);

/** The cluster port: Broker calls only when a member forwarded them. */
export function forwardedCallsOnly(brokerServiceName: string): ServerInterceptor {
  const brokerPrefix = `/${brokerServiceName}/`;
  return refuseWhen((path, metadata) =>
    path.startsWith(brokerPrefix) && !isForwarded(metadata)
      ? {
          code: status.PERMISSION_DENIED,
          details: "the cluster port serves calls between members; clients use the gRPC port",
        }
      : undefined,
  );
}

/**
 * Metadata of calls one member sends another: the loop-protection mark (with
 * the sender's epoch), the W3C trace context of the incoming call, so a
 * forwarded call continues the client's trace, and the client's credential
 * (its bearer token, or the user its certificate maps to), so the owner
 * authorizes the call again (broker/README.md#security).
 */
import { Metadata } from "@grpc/grpc-js";
import { injectTraceContext } from "../telemetry/tracing.ts";

/** Set on every call a member sends to another; its value is the sender's adopted epoch. */
export const forwardedEpochKey = "x-herald-forwarded-epoch";

/** The user a forwarded call's client certificate maps to; trusted only from a cluster member. */
export const forwardedPrincipalKey = "x-herald-principal";

const carriedKeys = [
  "traceparent",
  "tracestate",
  "baggage",
  "authorization",
  forwardedPrincipalKey,
] as const;

/** The sender's epoch when the call was forwarded by another member, else undefined. */
export function forwardedEpoch(metadata: Metadata): number | undefined {
  const [value] = metadata.get(forwardedEpochKey);
  if (typeof value !== "string") return undefined;
  const epoch = Number(value);
  return Number.isSafeInteger(epoch) ? epoch : 0;
}

/** Metadata for a call to a peer: the forwarded mark, the incoming call's trace context and credential. */
export function peerMetadata(epoch: number, incoming?: Metadata): Metadata {
  const outgoing = new Metadata();
  outgoing.set(forwardedEpochKey, String(epoch));
  for (const key of carriedKeys) {
    const [value] = incoming?.get(key) ?? [];
    if (typeof value === "string") outgoing.set(key, value);
  }
  injectTraceContext(outgoing);
  return outgoing;
}

/**
 * Metadata of calls one member sends another: the loop-protection mark (with
 * the sender's epoch) and the W3C trace context of the incoming call, so a
 * forwarded call continues the client's trace.
 */
import { Metadata } from "@grpc/grpc-js";
import { injectTraceContext } from "../telemetry/tracing.ts";

/** Set on every call a member sends to another; its value is the sender's adopted epoch. */
export const forwardedEpochKey = "x-herald-forwarded-epoch";

const traceKeys = ["traceparent", "tracestate", "baggage"] as const;

/** The sender's epoch when the call was forwarded by another member, else undefined. */
export function forwardedEpoch(metadata: Metadata): number | undefined {
  const [value] = metadata.get(forwardedEpochKey);
  if (typeof value !== "string") return undefined;
  const epoch = Number(value);
  return Number.isSafeInteger(epoch) ? epoch : 0;
}

/** Metadata for a call to a peer: the forwarded mark and the incoming call's trace context. */
export function peerMetadata(epoch: number, incoming?: Metadata): Metadata {
  const outgoing = new Metadata();
  outgoing.set(forwardedEpochKey, String(epoch));
  for (const key of traceKeys) {
    const [value] = incoming?.get(key) ?? [];
    if (typeof value === "string") outgoing.set(key, value);
  }
  injectTraceContext(outgoing);
  return outgoing;
}

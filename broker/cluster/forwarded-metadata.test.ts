import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  forwardedEpoch,
  forwardedEpochKey,
  forwardedPrincipalKey,
  peerMetadata,
} from "./forwarded-metadata.ts";

describe("forwarded-call metadata", () => {
  it("marks a call to a peer with the sender's epoch, which the peer reads back", () => {
    const outgoing = peerMetadata(7);
    expect(outgoing.get(forwardedEpochKey)).toEqual(["7"]);
    expect(forwardedEpoch(outgoing)).toBe(7);
    expect(forwardedEpoch(new Metadata())).toBeUndefined();
  });

  it("passes the client's W3C trace context through", () => {
    const incoming = new Metadata();
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    incoming.set("traceparent", traceparent);
    incoming.set("tracestate", "vendor=1");
    incoming.set("x-unrelated", "no");
    const outgoing = peerMetadata(1, incoming);
    expect(outgoing.get("traceparent")).toEqual([traceparent]);
    expect(outgoing.get("tracestate")).toEqual(["vendor=1"]);
    expect(outgoing.get("x-unrelated")).toEqual([]);
  });

  it("carries the client's credential, so the owner authorizes the call again", () => {
    const incoming = new Metadata();
    incoming.set("authorization", "Bearer secret");
    incoming.set(forwardedPrincipalKey, "orders-writer");
    const outgoing = peerMetadata(1, incoming);
    expect(outgoing.get("authorization")).toEqual(["Bearer secret"]);
    expect(outgoing.get(forwardedPrincipalKey)).toEqual(["orders-writer"]);
  });
});

import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  ClusterUnavailableError,
  GroupConflictError,
  IdSpaceExhaustedError,
  NotOwnerError,
  NotSupportedError,
  PeerCallError,
  PermissionDeniedError,
  InvalidArgumentError,
  MessageNotFoundError,
  MessageTooLargeError,
  ShuttingDownError,
  StoreUnavailableError,
  SubscriberOverflowError,
  toGrpcStatus,
  UnauthenticatedError,
} from "./errors.ts";

describe("toGrpcStatus", () => {
  it.each([
    [new InvalidArgumentError("subject must not be empty"), status.INVALID_ARGUMENT],
    [new MessageNotFoundError("s", 9, "unknown"), status.INVALID_ARGUMENT],
    [new MessageNotFoundError("s", 9, "expired"), status.INVALID_ARGUMENT],
    [new MessageTooLargeError(10, 5), status.RESOURCE_EXHAUSTED],
    [new SubscriberOverflowError(8, 41), status.RESOURCE_EXHAUSTED],
    [new IdSpaceExhaustedError("s"), status.RESOURCE_EXHAUSTED],
    [new ShuttingDownError(), status.UNAVAILABLE],
    [new StoreUnavailableError("connection refused"), status.UNAVAILABLE],
    [new NotOwnerError("s", 3), status.UNAVAILABLE],
    [new ClusterUnavailableError("no membership adopted yet"), status.UNAVAILABLE],
    [new PeerCallError(status.INVALID_ARGUMENT, "unknown id 9"), status.INVALID_ARGUMENT],
    [new GroupConflictError("workers", "orders.*", "orders.>"), status.FAILED_PRECONDITION],
    [new NotSupportedError("pattern subscriptions need one member"), status.UNIMPLEMENTED],
    [new UnauthenticatedError("no bearer token"), status.UNAUTHENTICATED],
    [new PermissionDeniedError("orders-writer", "publish", "audit.x"), status.PERMISSION_DENIED],
  ])("maps %s to its code with its message as detail", (err, code) => {
    expect(toGrpcStatus(err)).toEqual({
      code,
      details: expect.stringContaining(err.message) as string,
    });
  });

  it("says whether a missing message is unknown or expired", () => {
    expect(toGrpcStatus(new MessageNotFoundError("s", 9, "unknown")).details).toMatch(
      /unknown id 9/,
    );
    expect(toGrpcStatus(new MessageNotFoundError("s", 9, "expired")).details).toMatch(/expired/);
  });

  it("hides the text of unexpected errors behind INTERNAL", () => {
    expect(toGrpcStatus(new Error("password=hunter2"))).toEqual({
      code: status.INTERNAL,
      details: "internal error",
    });
  });
});

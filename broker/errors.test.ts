import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  ClusterUnavailableError,
  GatewayRefusalError,
  GroupConflictError,
  IdSpaceExhaustedError,
  NotOwnerError,
  PeerCallError,
  PermissionDeniedError,
  InvalidArgumentError,
  MessageNotFoundError,
  MessageTooLargeError,
  ShuttingDownError,
  StoreUnavailableError,
  SubscriberOverflowError,
  toGrpcStatus,
  toHttpFailure,
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

describe("toHttpFailure", () => {
  it.each([
    [new InvalidArgumentError("id must be a positive integer"), 400, "INVALID_ARGUMENT"],
    [new MessageNotFoundError("s", 9, "unknown"), 404, "INVALID_ARGUMENT"],
    [new MessageNotFoundError("s", 9, "expired"), 410, "INVALID_ARGUMENT"],
    [new MessageTooLargeError(10, 5), 413, "RESOURCE_EXHAUSTED"],
    [new IdSpaceExhaustedError("s"), 429, "RESOURCE_EXHAUSTED"],
    [new ShuttingDownError(), 503, "UNAVAILABLE"],
    [new StoreUnavailableError("connection refused"), 503, "UNAVAILABLE"],
    [new UnauthenticatedError("no bearer token"), 401, "UNAUTHENTICATED"],
    [new PermissionDeniedError("web", "publish", "audit.x"), 403, "PERMISSION_DENIED"],
    [new GroupConflictError("workers", "orders.*", "orders.>"), 409, "FAILED_PRECONDITION"],
    [new GatewayRefusalError(405, "use POST"), 405, "UNIMPLEMENTED"],
    [new GatewayRefusalError(503, "too many streams"), 503, "UNAVAILABLE"],
  ])("maps %s to HTTP %i with the gRPC code's name", (err, httpStatus, code) => {
    const failure = toHttpFailure(err);
    expect({ status: failure.status, code: failure.code }).toEqual({ status: httpStatus, code });
    expect(failure.message).toContain(err.message);
  });

  it("recognises a not-found fetch answered by another member by its detail", () => {
    for (const [reason, httpStatus] of [
      ["unknown", 404],
      ["expired", 410],
    ] as const) {
      const owner = toGrpcStatus(new MessageNotFoundError("orders", 3, reason));
      expect(toHttpFailure(new PeerCallError(owner.code, owner.details)).status).toBe(httpStatus);
    }
    expect(
      toHttpFailure(new PeerCallError(status.INVALID_ARGUMENT, "subject must not be empty")).status,
    ).toBe(400);
  });

  it("hides unexpected errors behind 500 INTERNAL", () => {
    expect(toHttpFailure(new Error("password=hunter2"))).toEqual({
      status: 500,
      code: "INTERNAL",
      message: "internal error",
    });
  });
});

/**
 * The broker's typed errors and the one place that maps them to gRPC status
 * codes (docs/architecture.md#errors). Handlers throw these; `toGrpcStatus` turns whatever was
 * thrown into the status the client sees.
 */
import { status, type StatusObject } from "@grpc/grpc-js";
import { StoreUnavailableError } from "./store/errors.ts";

/** A request field is malformed (subject, expiration, id, start id). */
export class InvalidArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidArgumentError";
  }
}

/** Fetch of an id the subject never had, or whose message has expired. */
export class MessageNotFoundError extends Error {
  readonly reason: "unknown" | "expired";
  constructor(subject: string, id: number, reason: "unknown" | "expired") {
    super(
      reason === "unknown"
        ? `unknown id ${id} for subject "${subject}"`
        : `message ${id} of subject "${subject}" has expired`,
    );
    this.name = "MessageNotFoundError";
    this.reason = reason;
  }
}

/** A body over HERALD_MAX_MESSAGE_BYTES. */
export class MessageTooLargeError extends Error {
  constructor(size: number, limit: number) {
    super(`message body is ${size} bytes; the limit is ${limit}`);
    this.name = "MessageTooLargeError";
  }
}

/** A subscriber fell further behind than its buffer allows. */
export class SubscriberOverflowError extends Error {
  constructor(bufferSize: number, lastDeliveredId: number) {
    super(
      `subscriber fell more than ${bufferSize} messages behind; resubscribe with start_id ${lastDeliveredId + 1}`,
    );
    this.name = "SubscriberOverflowError";
  }
}

/** A publish would take the bytes waiting to be stored past the broker's or its connection's cap. */
export class PendingBytesExceededError extends Error {
  constructor(
    holder: "the broker" | "this connection",
    held: number,
    cap: number,
    variable: string,
  ) {
    super(
      `${holder} already holds ${held} bytes of publishes not yet stored; ${variable} is ${cap}; retry later`,
    );
    this.name = "PendingBytesExceededError";
  }
}

/** The subject's ids reached the int32 ceiling of the wire contract. */
export class IdSpaceExhaustedError extends Error {
  constructor(subject: string) {
    super(`subject "${subject}" has used every id the wire contract allows`);
    this.name = "IdSpaceExhaustedError";
  }
}

/** The broker is draining for shutdown and takes no new work. */
export class ShuttingDownError extends Error {
  constructor() {
    super("broker is shutting down; retry on another instance");
    this.name = "ShuttingDownError";
  }
}

/**
 * This member does not own the subject in its adopted epoch (a forwarded call
 * during an epoch change, or a publish that raced one). Nothing was stored, so
 * the sender may retry once it has adopted the newer epoch.
 */
export class NotOwnerError extends Error {
  constructor(subject: string, epoch: number) {
    super(`${notOwnerPrefix} subject "${subject}" is not owned here in epoch ${epoch}; retry`);
    this.name = "NotOwnerError";
  }
}

/** Details prefix of NotOwnerError, by which a forwarding member knows a retry is safe. */
export const notOwnerPrefix = "not owner:";

/** The cluster cannot route the call: no membership adopted yet, or no members. */
export class ClusterUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ClusterUnavailableError";
  }
}

/** A forwarded call failed on the owner (or on the way): its status is passed through. */
export class PeerCallError extends Error {
  readonly code: number;
  readonly details: string;
  constructor(code: number, details: string) {
    super(details);
    this.name = "PeerCallError";
    this.code = code;
    this.details = details;
  }
}

/** A call without a valid credential (bearer token, JWT or client certificate) where one is required. */
export class UnauthenticatedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnauthenticatedError";
  }
}

/** An authenticated principal lacks the permission for a verb on a subject. */
export class PermissionDeniedError extends Error {
  constructor(principal: string, verb: string, subject: string) {
    super(`${principal} may not ${verb} "${subject}"`);
    this.name = "PermissionDeniedError";
  }
}

/** A consumer group exists with another subject or pattern than the one a member asked for. */
export class GroupConflictError extends Error {
  constructor(group: string, pattern: string, asked: string) {
    super(`group "${group}" consumes "${pattern}"; it cannot consume "${asked}"`);
    this.name = "GroupConflictError";
  }
}

export { StoreUnavailableError };

/** The gRPC status for anything a handler threw. Unknown errors never leak their text. */
export function toGrpcStatus(err: unknown): Pick<StatusObject, "code" | "details"> {
  if (err instanceof InvalidArgumentError || err instanceof MessageNotFoundError) {
    return { code: status.INVALID_ARGUMENT, details: err.message };
  }
  if (
    err instanceof MessageTooLargeError ||
    err instanceof PendingBytesExceededError ||
    err instanceof SubscriberOverflowError ||
    err instanceof IdSpaceExhaustedError
  ) {
    return { code: status.RESOURCE_EXHAUSTED, details: err.message };
  }
  if (
    err instanceof ShuttingDownError ||
    err instanceof NotOwnerError ||
    err instanceof ClusterUnavailableError
  ) {
    return { code: status.UNAVAILABLE, details: err.message };
  }
  if (err instanceof UnauthenticatedError) {
    return { code: status.UNAUTHENTICATED, details: err.message };
  }
  if (err instanceof PermissionDeniedError) {
    return { code: status.PERMISSION_DENIED, details: err.message };
  }
  if (err instanceof GroupConflictError) {
    return { code: status.FAILED_PRECONDITION, details: err.message };
  }
  if (err instanceof PeerCallError) return { code: err.code, details: err.details };
  if (err instanceof StoreUnavailableError) {
    return { code: status.UNAVAILABLE, details: `store unavailable: ${err.message}` };
  }
  return { code: status.INTERNAL, details: "internal error" };
}

/** HTTP status of each gRPC code, for the web gateway; a code not listed is 500. */
const httpStatusByGrpcCode: Readonly<Partial<Record<number, number>>> = {
  [status.CANCELLED]: 499,
  [status.INVALID_ARGUMENT]: 400,
  [status.OUT_OF_RANGE]: 400,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.ABORTED]: 409,
  [status.FAILED_PRECONDITION]: 409,
  [status.PERMISSION_DENIED]: 403,
  [status.UNAUTHENTICATED]: 401,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.UNIMPLEMENTED]: 501,
  [status.UNAVAILABLE]: 503,
};

/**
 * Statuses whose HTTP answer is more precise than their gRPC code's. The gateway sees what the
 * Broker handlers answered (a status, possibly from the owner of a forwarded call), so the typed
 * error is recognised by the detail its constructor wrote.
 */
const httpRefinements: readonly { grpc: status; detail: RegExp; http: number }[] = [
  // MessageNotFoundError: unknown or expired
  { grpc: status.INVALID_ARGUMENT, detail: /^unknown id \d+ for subject /, http: 404 },
  { grpc: status.INVALID_ARGUMENT, detail: /^message \d+ of subject .* has expired$/s, http: 410 },
  // MessageTooLargeError
  {
    grpc: status.RESOURCE_EXHAUSTED,
    detail: /^message body is \d+ bytes; the limit is /,
    http: 413,
  },
  // ShuttingDownError, StoreUnavailableError, NotOwnerError, ClusterUnavailableError stay 503.
];

/** What the web gateway answers for a failure: its HTTP status and the gRPC code's name. */
export interface HttpFailure {
  readonly status: number;
  /** The gRPC code's name (`INVALID_ARGUMENT`), the same a gRPC client would see. */
  readonly code: string;
  readonly message: string;
}

/**
 * A refusal of the web gateway with no gRPC counterpart: a WebSocket from a foreign origin, an
 * unknown route, a wrong method, a full gateway.
 */
export class GatewayRefusalError extends Error {
  readonly status: 403 | 404 | 405 | 503;
  constructor(statusCode: 403 | 404 | 405 | 503, message: string) {
    super(message);
    this.name = "GatewayRefusalError";
    this.status = statusCode;
  }
}

const gatewayRefusalCodes = {
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  405: "UNIMPLEMENTED",
  503: "UNAVAILABLE",
} as const;

/** The HTTP answer for anything a handler threw or answered, derived from its gRPC status. */
export function toHttpFailure(err: unknown): HttpFailure {
  if (err instanceof GatewayRefusalError) {
    return { status: err.status, code: gatewayRefusalCodes[err.status], message: err.message };
  }
  const { code, details } = toGrpcStatus(err);
  const refined = httpRefinements.find(
    (refinement) => refinement.grpc === code && refinement.detail.test(details),
  );
  return {
    status: refined?.http ?? httpStatusByGrpcCode[code] ?? 500,
    code: status[code] ?? "UNKNOWN",
    message: details,
  };
}

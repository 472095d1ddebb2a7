/**
 * The broker's typed errors and the one place that maps them to gRPC status
 * codes (DESIGN §2). Handlers throw these; `toGrpcStatus` turns whatever was
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

export { StoreUnavailableError };

/** The gRPC status for anything a handler threw. Unknown errors never leak their text. */
export function toGrpcStatus(err: unknown): Pick<StatusObject, "code" | "details"> {
  if (err instanceof InvalidArgumentError || err instanceof MessageNotFoundError) {
    return { code: status.INVALID_ARGUMENT, details: err.message };
  }
  if (
    err instanceof MessageTooLargeError ||
    err instanceof SubscriberOverflowError ||
    err instanceof IdSpaceExhaustedError
  ) {
    return { code: status.RESOURCE_EXHAUSTED, details: err.message };
  }
  if (err instanceof ShuttingDownError) return { code: status.UNAVAILABLE, details: err.message };
  if (err instanceof StoreUnavailableError) {
    return { code: status.UNAVAILABLE, details: `store unavailable: ${err.message}` };
  }
  return { code: status.INTERNAL, details: "internal error" };
}

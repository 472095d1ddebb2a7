/**
 * Bytes of publish bodies the broker has taken but not yet answered (stored, or failed), over the
 * whole broker and per connection (broker/README.md#publishstream). Past either cap a publish is
 * refused with RESOURCE_EXHAUSTED at once instead of queueing behind a slow store, so a frozen store
 * bounds memory however many calls and connections publish.
 *
 * A connection is known by its call's peer address (`call.getPeer()`, the client's `ip:port`): one
 * TCP connection carries one HTTP/2 session and so all of its calls, and no two open connections
 * share an address. grpc-js exposes no session id; the address is what it gives every call.
 */
import type { Metadata, handleUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import type { PublishBatchRequest, PublishRequest } from "../api/gen/broker.ts";
import { forwardedEpoch } from "../cluster/forwarded-metadata.ts";
import { PendingBytesExceededError, toGrpcStatus } from "../errors.ts";
import type { BrokerHandlers } from "./broker-service.ts";

export interface PendingBytesLimits {
  /** HERALD_MAX_PENDING_BYTES, over every call. */
  readonly maxBytes: number;
  /** HERALD_MAX_CONNECTION_PENDING_BYTES, per connection. */
  readonly maxConnectionBytes: number;
}

export class PendingBytes {
  readonly #limits: PendingBytesLimits;
  readonly #byConnection = new Map<string, number>();
  #total = 0;

  constructor(limits: PendingBytesLimits) {
    this.#limits = limits;
  }

  /** Bytes held now, over every call. */
  get total(): number {
    return this.#total;
  }

  /**
   * Takes `bytes` for `connection` (undefined: a member's forward, bounded by the broker's cap
   * alone) and returns their release, or the refusal when a cap would be passed. A publish is
   * taken whatever its size while its holder holds nothing, so one message always fits.
   */
  admit(connection: string | undefined, bytes: number): (() => void) | PendingBytesExceededError {
    const { maxBytes, maxConnectionBytes } = this.#limits;
    if (this.#total > 0 && this.#total + bytes > maxBytes) {
      return new PendingBytesExceededError(
        "the broker",
        this.#total,
        maxBytes,
        "HERALD_MAX_PENDING_BYTES",
      );
    }
    const held = connection === undefined ? 0 : (this.#byConnection.get(connection) ?? 0);
    if (held > 0 && held + bytes > maxConnectionBytes) {
      return new PendingBytesExceededError(
        "this connection",
        held,
        maxConnectionBytes,
        "HERALD_MAX_CONNECTION_PENDING_BYTES",
      );
    }
    this.#total += bytes;
    if (connection !== undefined) this.#byConnection.set(connection, held + bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total -= bytes;
      if (connection === undefined) return;
      const left = (this.#byConnection.get(connection) ?? bytes) - bytes;
      if (left > 0) this.#byConnection.set(connection, left);
      else this.#byConnection.delete(connection);
    };
  }
}

/** The connection a call counts against; a member's forward counts against the broker's cap alone. */
export const connectionOf = (call: { getPeer(): string; readonly metadata: Metadata }) =>
  forwardedEpoch(call.metadata) === undefined ? call.getPeer() : undefined;

/** Publish and PublishBatch hold their bodies' bytes from admission until they are answered. */
export function limitPendingBytes(handlers: BrokerHandlers, pending: PendingBytes): BrokerHandlers {
  const limited =
    <Req, Res>(bytesOf: (request: Req) => number, handle: handleUnaryCall<Req, Res>) =>
    (...[call, callback]: Parameters<handleUnaryCall<Req, Res>>) => {
      const release = pending.admit(connectionOf(call), bytesOf(call.request));
      if (release instanceof PendingBytesExceededError) {
        callback(toGrpcStatus(release));
        return;
      }
      const answer: sendUnaryData<Res> = (...result) => {
        release();
        callback(...result);
      };
      handle(call, answer);
    };
  return {
    ...handlers,
    publish: limited((request: PublishRequest) => request.body.length, handlers.publish),
    publishBatch: limited(
      (request: PublishBatchRequest) =>
        request.messages.reduce((sum, message) => sum + message.body.length, 0),
      handlers.publishBatch,
    ),
  };
}

/**
 * Publishes over one PublishStream (broker/README.md#publishstream): many in flight, each answered
 * with its id once durable, in send order.
 */
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import type {
  BrokerClient,
  PublishStreamRequest,
  PublishStreamResponse,
} from "../api/gen/broker.ts";

export interface PublishOptions {
  /** Seconds until the message expires; 0 or absent = never. */
  readonly ttlSeconds?: number;
  /**
   * A repeat within the broker's duplicate window answers the first id and stores nothing
   * (broker/README.md#idempotent-publish). `publish` and `publishBatch` make one up when absent.
   */
  readonly idempotencyKey?: string;
}

/** Publishes over one PublishStream, many in flight; made by `HeraldClient.publisher()`. */
export interface StreamPublisher {
  /**
   * Resolves with the message's id once it is durable; rejects with the
   * ServiceError Publish would have failed with, or the stream's own error if
   * the stream ends first. Messages of one subject get ids in call order.
   */
  publish(subject: string, body: Uint8Array | string, options?: PublishOptions): Promise<number>;
  /** Sends no more and resolves once every publish so far is answered and the stream ended. */
  close(): Promise<void>;
}

/** A publisher on one stream, which tells whether that stream has ended. */
export interface OpenStream extends StreamPublisher {
  readonly ended: boolean;
}

export interface StreamHooks {
  /** The stream's response headers (the member's epoch). */
  readonly onHeaders?: (metadata: Metadata) => void;
  /** The stream ended with an error: every publish not yet answered rejects with it. */
  readonly onError?: (err: ServiceError) => void;
}

/** Opens a PublishStream on `client`. */
export function openStream(
  client: BrokerClient,
  metadata: Metadata,
  hooks: StreamHooks = {},
): OpenStream {
  const call = client.publishStream(metadata);
  const pending = new Map<
    number,
    { resolve: (id: number) => void; reject: (err: Error) => void }
  >();
  let sequence = 0;
  let ended: Error | undefined;
  let markClosed = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const end = (err: Error) => {
    ended ??= err;
    for (const waiter of pending.values()) waiter.reject(ended);
    pending.clear();
    markClosed();
  };
  if (hooks.onHeaders !== undefined) call.once("metadata", hooks.onHeaders);
  call.on("data", (response: PublishStreamResponse) => {
    const waiter = pending.get(response.sequence);
    if (waiter === undefined) return;
    pending.delete(response.sequence);
    if (response.error === undefined) waiter.resolve(response.id);
    else waiter.reject(serviceError(response.error.code, response.error.message));
  });
  call.on("error", (err: ServiceError) => {
    end(err);
    hooks.onError?.(err);
  });
  call.on("status", () => end(serviceError(status.UNAVAILABLE, "publish stream ended")));
  return {
    get ended() {
      return ended !== undefined;
    },
    publish: (subject, body, options = {}) => {
      if (ended !== undefined) return Promise.reject(ended);
      sequence += 1;
      const request: PublishStreamRequest = {
        sequence,
        message: {
          subject,
          body: toBuffer(body),
          expirationSeconds: options.ttlSeconds ?? 0,
          idempotencyKey: options.idempotencyKey ?? "",
        },
      };
      const answered = new Promise<number>((resolve, reject) =>
        pending.set(sequence, { resolve, reject }),
      );
      // grpc-js buffers what the connection cannot take yet; the caller bounds what is in flight.
      call.write(request);
      return answered;
    },
    close: () => {
      call.end();
      return closed;
    },
  };
}

/** An error shaped like the ServiceError of a failed unary call. */
export const serviceError = (code: status, details: string): ServiceError =>
  Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });

export const toBuffer = (body: Uint8Array | string) =>
  typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);

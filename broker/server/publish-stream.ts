/**
 * PublishStream: a client keeps one stream open and pipelines publishes. Each
 * message takes the Publish path on its own (validation, then the stream's
 * route: admission and the group-commit publisher here, or the subject's
 * owner), so the messages in flight form batches. Its response carries the
 * client's sequence and goes out in send order once the message is durable,
 * or carries the error Publish would have answered, and the stream goes on.
 *
 * Back-pressure: at most `maxInflight` messages, and about `maxInflightBytes`
 * of bodies, per stream are un-acked (publishing, or acked but held while the
 * client is not reading); at either bound the stream stops reading, so a fast
 * client cannot grow server memory, whatever the size of its messages.
 */
import type { ServerDuplexStream, StatusObject } from "@grpc/grpc-js";
import type {
  PublishRequest,
  PublishStreamRequest,
  PublishStreamResponse,
} from "../api/gen/broker.ts";
import { InvalidArgumentError, ShuttingDownError, toGrpcStatus } from "../errors.ts";
import type { PublishInput } from "../publish/publisher.ts";
import { connectionOf, type PendingBytes } from "./pending-bytes.ts";
import type { PublishStreamFrame } from "./stream-frames.ts";
import { parsePublish, type Retention } from "./validation.ts";

export type PublishStreamCall = ServerDuplexStream<PublishStreamRequest, PublishStreamResponse>;

/** Stores one validated message (here or at its owner) and resolves with its id once durable. */
export type PublishRoute = (input: PublishInput) => Promise<number>;

export interface PublishStreamsOptions {
  /** A route per stream, so per-subject ordering state lives as long as the stream. */
  readonly openRoute: (call: PublishStreamCall) => PublishRoute;
  readonly maxMessageBytes: number;
  /** Applied to every message: a stream always comes from a client (forwards are unary). */
  readonly retention: Retention;
  readonly maxInflight: number;
  /** Un-acked body bytes; the message that reaches it is still taken, so one message always fits. */
  readonly maxInflightBytes: number;
  /** Body bytes waiting to be stored, over the broker and per connection: a frame past a cap is refused alone. */
  readonly pending: PendingBytes;
  /** One answered message, from receipt to its response (the per-message metrics). */
  readonly onMessage?: (ok: boolean, startedMs: number) => void;
  /** A message failed; returns the status to answer (logs what is unexpected). */
  readonly failure: (err: unknown) => Pick<StatusObject, "code" | "details">;
}

const emptyRequest: PublishRequest = {
  subject: "",
  body: Buffer.alloc(0),
  expirationSeconds: 0,
  idempotencyKey: "",
};

/** The open PublishStream calls of a broker, which it ends on drain. */
export class PublishStreams {
  readonly #options: PublishStreamsOptions;
  readonly #open = new Set<{ drain: () => Promise<void> }>();

  constructor(options: PublishStreamsOptions) {
    this.#options = options;
  }

  handle(call: PublishStreamCall): void {
    const options = this.#options;
    const route = options.openRoute(call);
    const connection = connectionOf(call);
    /** Responses in send order; undefined until that message is answered. */
    const queue: { response: PublishStreamResponse | undefined; bytes: number }[] = [];
    let inflightBytes = 0;
    let paused = false;
    let writable = true;
    let halfClosed = false;
    let done = false;
    let drained = () => {};
    let draining = false;

    const finish = (end: () => void) => {
      if (done) return;
      done = true;
      this.#open.delete(stream);
      end();
      drained();
    };
    const full = () =>
      queue.length >= options.maxInflight || inflightBytes >= options.maxInflightBytes;
    const pump = () => {
      // While draining, answers go out regardless of the client's reading, so a stalled client cannot hold the drain.
      while (!done && (writable || draining) && queue[0]?.response !== undefined) {
        const { response, bytes } = queue.shift() ?? { response: undefined, bytes: 0 };
        inflightBytes -= bytes;
        if (response !== undefined) writable = call.write(response);
      }
      if (queue.length === 0) drained();
      if (paused && !full() && !draining) {
        paused = false;
        call.resume();
      }
      if (halfClosed && queue.length === 0) finish(() => call.end());
    };
    const stream = {
      drain: () => {
        draining = true;
        call.pause();
        const settled = new Promise<void>((resolve) => (drained = resolve));
        pump();
        return settled.then(() =>
          finish(() => call.emit("error", toGrpcStatus(new ShuttingDownError()))),
        );
      },
    };
    this.#open.add(stream);

    call.on("data", (request: PublishStreamFrame) => {
      const started = performance.now();
      const entry: (typeof queue)[number] = {
        response: undefined,
        bytes: request.message?.body.length ?? 0,
      };
      queue.push(entry);
      inflightBytes += entry.bytes;
      if (full() && !paused) {
        paused = true;
        call.pause();
      }
      const admitted = options.pending.admit(connection, entry.bytes);
      const refusal = admitted instanceof Error ? admitted : undefined;
      const release = admitted instanceof Error ? () => {} : admitted;
      void this.#publishOne(request, route, refusal).then((response) => {
        release();
        options.onMessage?.(response.error === undefined, started);
        entry.response = response;
        pump();
      });
    });
    call.on("drain", () => {
      writable = true;
      pump();
    });
    call.on("end", () => {
      halfClosed = true;
      pump();
    });
    call.on("cancelled", () => finish(() => undefined));
    call.on("error", () => finish(() => undefined));
  }

  /** Ends every open stream with UNAVAILABLE once the messages it had taken are answered. */
  async drainAll(): Promise<void> {
    await Promise.all([...this.#open].map((stream) => stream.drain()));
  }

  async #publishOne(
    request: PublishStreamFrame,
    route: PublishRoute,
    refusal: Error | undefined,
  ): Promise<PublishStreamResponse> {
    const { sequence } = request;
    try {
      if (request.undecodable !== undefined) {
        throw new InvalidArgumentError(
          `frame is not a PublishStreamRequest: ${request.undecodable}`,
        );
      }
      if (refusal !== undefined) throw refusal;
      const id = await route(
        parsePublish(
          request.message ?? emptyRequest,
          this.#options.maxMessageBytes,
          this.#options.retention,
        ),
      );
      return { sequence, id, error: undefined };
    } catch (err) {
      const { code, details } = this.#options.failure(err);
      return { sequence, id: 0, error: { code, message: details } };
    }
  }
}

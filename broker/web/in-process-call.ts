/**
 * Calls into the Broker handlers the gRPC port serves (authentication, forwarding to a subject's
 * owner, metrics, tracing), in-process: the gateway takes the very code path a gRPC client takes,
 * without a loopback connection. A call object carries what those handlers read of a grpc-js call
 * (request, metadata, deadline, auth context, events, write/sendMetadata/end).
 */
import { EventEmitter } from "node:events";
import {
  type Metadata,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  status as grpcStatus,
  type StatusObject,
} from "@grpc/grpc-js";
import { PeerCallError } from "../errors.ts";

/** What a handler learns of who calls: the metadata (bearer token, trace context) and the TLS peer. */
export interface CallOrigin {
  readonly metadata: Metadata;
  readonly authContext: ReturnType<ServerUnaryCall<unknown, unknown>["getAuthContext"]>;
}

/** The status a call answered: the same as a gRPC client would get. */
export type CallStatus = Pick<StatusObject, "code" | "details">;

/** What one stream call tells its owner. */
export interface StreamEvents<Out> {
  /** Response headers: the call is established (subscribed, joined). */
  readonly onOpen: () => void;
  /** One outgoing message; false asks the handler to wait for the call's `drain` event. */
  readonly onMessage: (message: Out) => boolean;
  /** The call ended, normally (undefined) or with a status; at most once. */
  readonly onEnd: (status: CallStatus | undefined) => void;
  /** The handler stops (pause) and resumes reading the client's frames (duplex calls). */
  readonly onPause?: () => void;
  readonly onResume?: () => void;
}

/**
 * A call from the gateway: the handler's side of a grpc-js call. `Req` is the request of a unary or
 * server-streaming call, `In` a frame of a duplex call.
 */
export class InProcessStream<Req, In, Out> extends EventEmitter {
  readonly request: Req;
  readonly metadata: Metadata;
  readonly #authContext: CallOrigin["authContext"];
  cancelled = false;
  #ended = false;
  /** Frames pushed before the handler listened for them; undefined once it does. */
  #early: In[] | undefined = [];
  readonly #events: StreamEvents<Out>;

  constructor(request: Req, origin: CallOrigin, events: StreamEvents<Out>) {
    super();
    this.request = request;
    this.metadata = origin.metadata;
    this.#authContext = origin.authContext;
    this.#events = events;
    this.on("newListener", (event: string) => {
      if (event !== "data" || this.#early === undefined) return;
      // Once the listener is in place.
      queueMicrotask(() => {
        const early = this.#early ?? [];
        this.#early = undefined;
        for (const frame of early) if (!this.cancelled) this.emit("data", frame);
      });
    });
    // Handlers end a call with `emit("error", status)`.
    this.on("error", (status: Partial<CallStatus>) =>
      this.#end({ code: status.code ?? grpcStatus.UNKNOWN, details: status.details ?? "" }),
    );
  }

  getDeadline(): number {
    return Infinity;
  }

  /** The client certificate of a gateway with mTLS, for access control. */
  getAuthContext(): CallOrigin["authContext"] {
    return this.#authContext;
  }

  getPeer(): string {
    return "web-gateway";
  }

  sendMetadata(): void {
    if (!this.#ended) this.#events.onOpen();
  }

  write(message: Out): boolean {
    return this.#ended ? true : this.#events.onMessage(message);
  }

  end(): void {
    this.#end(undefined);
  }

  pause(): this {
    this.#events.onPause?.();
    return this;
  }

  resume(): this {
    this.#events.onResume?.();
    return this;
  }

  /** The client went away: the handler releases what it held. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.#ended = true;
    this.emit("cancelled");
  }

  /**
   * A frame from the client (duplex calls). Frames wait until the handler listens: with
   * authentication on, it starts only once the call's credential is checked.
   */
  push(frame: In): void {
    if (this.cancelled) return;
    if (this.#early === undefined) this.emit("data", frame);
    else this.#early.push(frame);
  }

  #end(status: CallStatus | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#events.onEnd(status);
  }
}

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

/** Runs a unary handler; a refusal rejects with its status as a PeerCallError. */
export function callUnary<Req, Res>(
  handler: Unary<Req, Res>,
  request: Req,
  origin: CallOrigin,
): Promise<Res> {
  return runUnary(handler, unaryCall(request, origin));
}

/** A unary call not yet run, for a caller that reads it afterwards (its registered principal). */
export function unaryCall<Req>(
  request: Req,
  origin: CallOrigin,
): InProcessStream<Req, never, never> {
  return new InProcessStream<Req, never, never>(request, origin, {
    onOpen: () => undefined,
    onMessage: () => true,
    onEnd: () => undefined,
  });
}

/** Runs `handler` on `call`; a refusal rejects with its status as a PeerCallError. */
export function runUnary<Req, Res>(
  handler: Unary<Req, Res>,
  call: InProcessStream<Req, never, never>,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    // The handlers read only the members InProcessStream has (see the top of this file).
    handler(call as unknown as ServerUnaryCall<Req, Res>, (err, value) => {
      if (err === null || err === undefined) resolve(value as Res);
      else
        reject(new PeerCallError(err.code ?? grpcStatus.UNKNOWN, err.details ?? "internal error"));
    });
  });
}

/** Opens a server-streaming call (Subscribe). */
export function openServerStream<Req, Out>(
  handler: (call: ServerWritableStream<Req, Out>) => void,
  request: Req,
  origin: CallOrigin,
  events: StreamEvents<Out>,
): InProcessStream<Req, never, Out> {
  const call = new InProcessStream<Req, never, Out>(request, origin, events);
  handler(call as unknown as ServerWritableStream<Req, Out>);
  return call;
}

/** Opens a bidirectional call (Consume); frames go in with `push`. */
export function openDuplexStream<In, Out>(
  handler: (call: ServerDuplexStream<In, Out>) => void,
  origin: CallOrigin,
  events: StreamEvents<Out>,
): InProcessStream<undefined, In, Out> {
  const call = new InProcessStream<undefined, In, Out>(undefined, origin, events);
  handler(call as unknown as ServerDuplexStream<In, Out>);
  return call;
}

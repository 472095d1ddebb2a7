/**
 * One WebSocket of GET /v1/ws: JSON frames to subscribe, publish and consume with acks, each on
 * the Broker's own calls. Subscriptions are Subscribe calls; publishes go through one PublishStream
 * per socket (pipelined, answered per `ref` once durable, a subject's order kept, the same
 * per-message errors); a consumer is a Consume call. A frame the broker cannot take is answered
 * with an `error` frame and the socket stays open.
 *
 * Back-pressure: outgoing frames wait in the socket's buffer; past `highWaterBytes` the calls
 * writing to it are held (a subscriber that stays behind is cut off by its own buffer, as on
 * gRPC), and a PublishStream at its in-flight bound stops the socket's reading.
 */
import { status as grpcStatus } from "@grpc/grpc-js";
import type { WebSocket } from "ws";
import type {
  ConsumeRequest,
  Delivery,
  PublishStreamRequest,
  PublishStreamResponse,
} from "../api/gen/broker.ts";
import { MessageResponse } from "../api/gen/broker.ts";
import { InvalidArgumentError, PeerCallError, toHttpFailure } from "../errors.ts";
import type { BrokerHandlers } from "../server/broker-service.ts";
import {
  type CallOrigin,
  type CallStatus,
  type InProcessStream,
  openDuplexStream,
  openServerStream,
} from "./in-process-call.ts";
import { decodeBody, encodeBody } from "./message-body.ts";
import type { StreamSlots } from "./stream-slots.ts";
import {
  type AckFrame,
  ackKinds,
  ClientFrame,
  type ConsumeFrame,
  type ServerFrame,
} from "./ws-frames.ts";

/** Buffered outgoing bytes past which writers wait. */
const highWaterBytes = 1024 * 1024;

const anyText = () => true;

/** What a session does with any of its calls: hold it for back-pressure, cancel it. */
type Stream = Pick<InProcessStream<unknown, never, never>, "cancel" | "emit">;
type ConsumeStream = InProcessStream<undefined, ConsumeRequest, Delivery>;
type PublishStream = InProcessStream<undefined, PublishStreamRequest, PublishStreamResponse>;

export function serveWebSocket(
  handlers: Pick<BrokerHandlers, "subscribe" | "publishStream" | "consume">,
  socket: WebSocket,
  origin: CallOrigin,
  /** A slot of HERALD_WEB_MAX_STREAMS for each subscription or consumer, beside the socket's own. */
  slots: Pick<StreamSlots, "acquire">,
): void {
  const streams = new Map<string, Stream>();
  /** The slot of each open `sub`. */
  const releases = new Map<string, () => void>();
  const release = (sub: string) => {
    releases.get(sub)?.();
    releases.delete(sub);
  };
  /** The consumers among `streams`, by the same `sub`: acks go in on them. */
  const consumers = new Map<string, ConsumeStream>();
  const waiting = new Set<Stream>();
  const pendingPublishes = new Map<number, string>();
  let publishes: PublishStream | undefined;
  let sequence = 0;

  const send = (frame: ServerFrame): boolean => {
    if (socket.readyState !== socket.OPEN) return true;
    socket.send(JSON.stringify(frame), () => {
      if (socket.bufferedAmount >= highWaterBytes) return;
      for (const stream of [...waiting]) {
        waiting.delete(stream);
        stream.emit("drain");
      }
    });
    return socket.bufferedAmount < highWaterBytes;
  };
  const held = (stream: Stream, writable: boolean) => {
    if (!writable) waiting.add(stream);
    return writable;
  };
  const failure = (err: unknown, about: { ref?: string; sub?: string }): boolean => {
    const { status, code, message } = toHttpFailure(err);
    return send({ op: "error", ...about, status, code, message });
  };
  const ended = (sub: string, status: CallStatus | undefined) => {
    streams.delete(sub);
    consumers.delete(sub);
    release(sub);
    if (status === undefined) send({ op: "ended", sub });
    else failure(new PeerCallError(status.code, status.details), { sub });
  };
  const claim = (sub: string) => {
    if (streams.has(sub))
      throw new InvalidArgumentError(`sub "${sub}" is already open on this socket`);
    releases.set(sub, slots.acquire());
  };

  const subscribe = (sub: string, subject: string, startId: number) => {
    claim(sub);
    let refused = false;
    const stream: Stream = openServerStream(handlers.subscribe, { subject, startId }, origin, {
      onOpen: () => send({ op: "subscribed", sub }),
      onMessage: (frame) => {
        const message = MessageResponse.decode(frame);
        const body = encodeBody(message.body, anyText);
        return held(
          stream,
          send({ op: "message", sub, subject: message.subject, id: message.id, ...body }),
        );
      },
      onEnd: (status) => {
        refused = true;
        ended(sub, status);
      },
    });
    // A refusal may come before the call returns (a malformed subject).
    if (!refused) streams.set(sub, stream);
  };

  const consume = (frame: ConsumeFrame) => {
    claim(frame.sub);
    const { sub } = frame;
    const stream: ConsumeStream = openDuplexStream(handlers.consume, origin, {
      onOpen: () => send({ op: "joined", sub }),
      onMessage: (delivery) => {
        const body = encodeBody(delivery.body, anyText);
        const { subject, id, attempt } = delivery;
        return held(stream, send({ op: "delivery", sub, subject, id, attempt, ...body }));
      },
      onEnd: (status) => ended(sub, status),
    });
    streams.set(sub, stream);
    consumers.set(sub, stream);
    stream.push({
      start: {
        group: frame.group,
        subject: frame.subject,
        maxInFlight: frame.maxInFlight,
        ackWaitMs: frame.ackWaitMs,
        maxDeliveries: frame.maxDeliveries,
        startId: frame.from,
      },
    });
  };

  const ack = (frame: AckFrame) => {
    const stream = consumers.get(frame.sub);
    if (stream === undefined)
      throw new InvalidArgumentError(`no consumer "${frame.sub}" on this socket`);
    stream.push({
      ack: {
        subject: frame.subject,
        id: frame.id,
        attempt: frame.attempt,
        kind: ackKinds[frame.kind],
      },
    });
  };

  /** The socket's PublishStream, opened on its first publish (and again after the broker ended it). */
  const publishStream = () => {
    if (publishes !== undefined) return publishes;
    const stream: PublishStream = openDuplexStream(handlers.publishStream, origin, {
      onOpen: () => undefined,
      onMessage: (response): boolean => {
        const ref = pendingPublishes.get(response.sequence) ?? "";
        pendingPublishes.delete(response.sequence);
        if (response.error === undefined)
          return held(stream, send({ op: "published", ref, id: response.id }));
        const error = new PeerCallError(response.error.code, response.error.message);
        return held(stream, failure(error, { ref }));
      },
      onEnd: (status) => {
        publishes = undefined;
        // Publishes the stream had not answered were not acknowledged.
        for (const ref of pendingPublishes.values()) {
          const code = status?.code ?? grpcStatus.UNAVAILABLE;
          failure(new PeerCallError(code, status?.details ?? "publish stream ended"), { ref });
        }
        pendingPublishes.clear();
        socket.resume();
      },
      onPause: () => socket.pause(),
      onResume: () => socket.resume(),
    });
    publishes = stream;
    return stream;
  };

  const handle = (frame: ClientFrame) => {
    switch (frame.op) {
      case "subscribe":
        return subscribe(frame.sub, frame.subject, frame.from);
      case "unsubscribe": {
        const stream = streams.get(frame.sub);
        if (stream === undefined)
          throw new InvalidArgumentError(`no subscription "${frame.sub}" on this socket`);
        streams.delete(frame.sub);
        consumers.delete(frame.sub);
        release(frame.sub);
        stream.cancel();
        return send({ op: "ended", sub: frame.sub });
      }
      case "publish": {
        sequence++;
        pendingPublishes.set(sequence, frame.ref);
        const message = {
          subject: frame.subject,
          body: decodeBody(frame.body, frame.encoding),
          expirationSeconds: frame.ttl,
          idempotencyKey: frame.key,
        };
        return publishStream().push({ sequence, message });
      }
      case "consume":
        return consume(frame);
      case "ack":
        return ack(frame);
    }
  };

  socket.on("message", (data, isBinary) => {
    let frame: ClientFrame;
    try {
      if (isBinary) throw new InvalidArgumentError("frames are JSON text, not binary");
      const parsed = ClientFrame.safeParse(
        parseJson(Buffer.isBuffer(data) ? data.toString("utf8") : ""),
      );
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new InvalidArgumentError(
          `bad frame: ${issue?.path.join(".") || "frame"}: ${issue?.message ?? "invalid"}`,
        );
      }
      frame = parsed.data;
    } catch (err) {
      return failure(err, {});
    }
    try {
      handle(frame);
    } catch (err) {
      failure(err, "ref" in frame ? { ref: frame.ref } : { sub: frame.sub });
    }
  });
  socket.once("close", () => {
    for (const stream of streams.values()) stream.cancel();
    streams.clear();
    for (const sub of [...releases.keys()]) release(sub);
    publishes?.cancel();
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(
      `frame is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

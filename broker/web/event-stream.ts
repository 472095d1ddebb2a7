/**
 * GET /v1/subjects/{subject}/events: a Subscribe as Server-Sent Events. The stream is the Broker's
 * Subscribe call (replay from an id, then live, with no gap and no duplicate; a pattern is live
 * only), so its back-pressure holds too: a client that reads too slowly falls behind its subscriber
 * buffer and is cut off with an `error` event naming the id to resume from.
 *
 * Until the subscription is registered the answer is still open, so a refusal (bad id, no
 * permission) is a plain HTTP status with a JSON error; after it, the 200 stream carries events.
 */
import type { ServerResponse } from "node:http";
import { status as grpcStatus } from "@grpc/grpc-js";
import { isPattern } from "../../contract/subjects.ts";
import { MessageResponse } from "../api/gen/broker.ts";
import { PeerCallError, toHttpFailure } from "../errors.ts";
import type { BrokerHandlers } from "../server/broker-service.ts";
import { type CallOrigin, type CallStatus, openServerStream } from "./in-process-call.ts";
import { encodeBody } from "./message-body.ts";

export interface EventStreamRequest {
  readonly subject: string;
  readonly startId: number;
  readonly origin: CallOrigin;
}

/** What the gateway answers before the stream is open (a JSON error). */
export type ReplyError = (err: unknown) => void;

/** SSE splits data lines at CR, LF or CRLF, so text with CR goes as base64. */
const sseSafe = (text: string) => !text.includes("\r");

/** One event: `id:` the message id (pattern streams: `subject#id`), `data:` one line per body line. */
export function formatEvent(message: MessageResponse, pattern: boolean): string {
  const { body, encoding } = encodeBody(message.body, sseSafe);
  const id = pattern ? `${message.subject}#${message.id}` : String(message.id);
  const data = body
    .split("\n")
    .map((line) => `data: ${line}\n`)
    .join("");
  return `${encoding === "base64" ? "event: binary\n" : ""}id: ${id}\n${data}\n`;
}

const formatError = (status: CallStatus) => {
  const { code, message } = toHttpFailure(new PeerCallError(status.code, status.details));
  return `event: error\ndata: ${JSON.stringify({ code, message })}\n\n`;
};

/** Serves one event stream until the client leaves or the call ends; `done` runs once either way. */
export function serveEventStream(
  handlers: Pick<BrokerHandlers, "subscribe">,
  request: EventStreamRequest,
  response: ServerResponse,
  headers: Record<string, string>,
  replyError: ReplyError,
  done: () => void,
): void {
  const pattern = isPattern(request.subject);
  let open = false;
  const call = openServerStream<{ subject: string; startId: number }, Buffer>(
    handlers.subscribe,
    { subject: request.subject, startId: request.startId },
    request.origin,
    {
      onOpen: () => {
        open = true;
        response.writeHead(200, {
          ...headers,
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
          "x-accel-buffering": "no",
        });
        // A comment: the client knows it is subscribed before the first message.
        response.write(": subscribed\n\n");
      },
      onMessage: (frame) => response.write(formatEvent(MessageResponse.decode(frame), pattern)),
      onEnd: (status) => {
        done();
        if (!open) {
          const { code = grpcStatus.UNAVAILABLE, details = "the stream ended before it opened" } =
            status ?? {};
          replyError(new PeerCallError(code, details));
          return;
        }
        if (status === undefined) response.end();
        else response.end(formatError(status));
      },
    },
  );
  response.on("drain", () => call.emit("drain"));
  response.once("close", () => {
    call.cancel();
    done();
  });
}

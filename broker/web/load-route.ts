/**
 * POST /v1/load: a load test run by the broker (load-run.ts), answered as Server-Sent Events: one
 * `progress` event a second, then `done` with the summary or `error` with the refusal that stopped
 * it. Until the run has started (subscribed, first message published) the answer is still open, so
 * a refusal (no permission, a bad subject) is a plain HTTP status with a JSON error.
 */
import type { ServerResponse } from "node:http";
import { toHttpFailure } from "../errors.ts";
import type { BrokerHandlers } from "../server/broker-service.ts";
import type { CallOrigin } from "./in-process-call.ts";
import type { LoadRequest } from "./load-request.ts";
import { startLoadRun } from "./load-run.ts";

const event = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/** Serves one run until it ends or the client leaves; `done` runs once either way. */
export function serveLoadRun(
  handlers: Pick<BrokerHandlers, "publish" | "subscribe">,
  request: LoadRequest,
  origin: CallOrigin,
  response: ServerResponse,
  headers: Record<string, string>,
  replyError: (err: unknown) => void,
  done: () => void,
): void {
  let started = false;
  const stop = startLoadRun(handlers, request, origin, {
    onStarted: () => {
      started = true;
      response.writeHead(200, {
        ...headers,
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      });
      response.write(event("started", request));
    },
    onProgress: (progress) => response.write(event("progress", progress)),
    onEnd: (outcome) => {
      done();
      if ("summary" in outcome) return void response.end(event("done", outcome.summary));
      if (!started) return replyError(outcome.error);
      const { code, message } = toHttpFailure(outcome.error);
      response.end(event("error", { code, message }));
    },
  });
  response.once("close", () => {
    stop();
    done();
  });
}

/**
 * The HTTP/WebSocket gateway (HERALD_WEB_ADDR; broker/README.md#http-gateway): publish, fetch,
 * Server-Sent Events and a WebSocket of JSON frames, each served by the Broker handlers the gRPC
 * port serves (in-process-call.ts), so authentication, permissions, validation, retention,
 * forwarding to a subject's owner and metrics are those of gRPC. Failures answer the HTTP status
 * `toHttpFailure` (errors.ts) maps from the same typed errors, with a JSON body
 * `{"code", "message"}`. It also serves the web console at `/` and the read-only JSON it shows
 * (console-assets.ts, console-routes.ts).
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import { Server as TlsServer } from "node:tls";
import { WebSocketServer } from "ws";
import type { HostPort } from "../../lib/process/host-port.ts";
import { ListenError } from "../../lib/process/listen.ts";
import type { Logger } from "../../lib/process/logger.ts";
import { asBuffer } from "../api/wire.ts";
import type { WebConfig } from "../config.ts";
import { GatewayRefusalError, InvalidArgumentError, toHttpFailure } from "../errors.ts";
import type { BrokerHandlers } from "../server/broker-service.ts";
import { authenticate } from "./console-access.ts";
import { loadConsoleAssets } from "./console-assets.ts";
import { consoleRouteBody } from "./console-routes.ts";
import type { ConsoleSource } from "./console-source.ts";
import { corsHeaders, preflightHeaders } from "./cors.ts";
import { type GatewayTlsSettings, loadGatewayTls } from "./gateway-tls.ts";
import { serveEventStream } from "./event-stream.ts";
import { callUnary } from "./in-process-call.ts";
import { loadLimits, parseLoadRequest } from "./load-request.ts";
import { serveLoadRun } from "./load-route.ts";
import { readBody } from "./request-body.ts";
import { callOrigin, matchRoute, parseId, parseStart, parseTtl, type Route } from "./requests.ts";
import { StreamSlots } from "./stream-slots.ts";
import { serveWebSocket } from "./ws-session.ts";
import { isPattern } from "../../contract/subjects.ts";

export interface WebGatewayOptions extends WebConfig {
  /** The Broker service as the gRPC port serves it. */
  readonly handlers: BrokerHandlers;
  /** What the console's read-only routes show (console-routes.ts). */
  readonly console: ConsoleSource;
  /** The console's build (dist/console); undefined or not built: `/` answers 404. */
  readonly consoleDir: string | undefined;
  readonly maxMessageBytes: number;
  /** The gRPC port's TLS files (undefined: plain HTTP). */
  readonly tls: GatewayTlsSettings | undefined;
  readonly logger: Logger;
}

export interface WebGateway {
  readonly port: number;
  /** Open event streams and WebSockets. */
  openStreams(): number;
  /** Stops listening and ends every stream and socket (WebSockets with 1001 going away). */
  close(): Promise<void>;
}

/** Room for base64 (4/3) and the JSON around a publish frame's body. */
const frameOverheadBytes = 64 * 1024;
/** A load test's request is a few numbers and a subject. */
const loadRequestMaxBytes = 4096;

export async function startWebGateway(options: WebGatewayOptions): Promise<WebGateway> {
  const { handlers, logger, corsOrigins } = options;
  const slots = new StreamSlots(options.maxStreams);
  const responses = new Set<ServerResponse>();
  const consoleFile = await loadConsoleAssets(options.consoleDir);
  const limits = loadLimits(options.maxMessageBytes);
  // One load test at a time per gateway, whoever runs it.
  let loadRunning = false;

  const sendJson = (
    response: ServerResponse,
    code: number,
    body: unknown,
    headers: Record<string, string>,
  ) => {
    if (response.headersSent) return void response.end();
    response.writeHead(code, { ...headers, "content-type": "application/json" });
    response.end(`${JSON.stringify(body)}\n`);
  };
  const sendFailure = (
    response: ServerResponse,
    err: unknown,
    headers: Record<string, string>,
    route: string,
  ) => {
    const failure = toHttpFailure(err);
    if (failure.status >= 500 && failure.status !== 503) {
      logger.error({ err, route }, "unexpected error in the web gateway");
    } else
      logger.debug({ route, status: failure.status, message: failure.message }, "request failed");
    sendJson(response, failure.status, { code: failure.code, message: failure.message }, headers);
  };

  const serve = async (
    request: IncomingMessage,
    response: ServerResponse,
    route: Route,
    query: URLSearchParams,
    headers: Record<string, string>,
  ) => {
    const origin = callOrigin(request, query);
    switch (route.kind) {
      case "publish": {
        const expirationSeconds = parseTtl(query);
        const body = await readBody(request, options.maxMessageBytes);
        const key = request.headers["idempotency-key"];
        const { id } = await callUnary(
          handlers.publish,
          {
            subject: route.subject,
            body,
            expirationSeconds,
            idempotencyKey: typeof key === "string" ? key : "",
          },
          origin,
        );
        return sendJson(response, 201, { id }, headers);
      }
      case "fetch": {
        const id = parseId(route.id);
        const message = await callUnary(handlers.fetch, { subject: route.subject, id }, origin);
        response.writeHead(200, { ...headers, "content-type": "application/octet-stream" });
        return void response.end(asBuffer(message.body));
      }
      case "events": {
        const startId = parseStart(request, query, isPattern(route.subject));
        const release = slots.acquire();
        serveEventStream(
          handlers,
          { subject: route.subject, startId, origin },
          response,
          headers,
          (err) => sendFailure(response, err, headers, route.kind),
          release,
        );
        return;
      }
      case "ws":
        throw new InvalidArgumentError("GET /v1/ws expects a WebSocket upgrade");
      case "cluster":
      case "subjects":
      case "groups": {
        const body = await consoleRouteBody(route.kind, options.console, handlers, origin);
        return sendJson(response, 200, body, { ...headers, "cache-control": "no-store" });
      }
      case "load-limits":
        await authenticate(options.console, origin);
        return sendJson(response, 200, limits, headers);
      case "load": {
        const load = parseLoadRequest(await readBody(request, loadRequestMaxBytes), limits);
        if (loadRunning) {
          throw new GatewayRefusalError(503, "a load test is running on this gateway; retry later");
        }
        const release = slots.acquire();
        loadRunning = true;
        let released = false;
        const done = () => {
          if (released) return;
          released = true;
          release();
          loadRunning = false;
        };
        const fail = (err: unknown) => sendFailure(response, err, headers, route.kind);
        return serveLoadRun(handlers, load, origin, response, headers, fail, done);
      }
      case "console": {
        const file = consoleFile(route.file);
        response.writeHead(200, { ...headers, ...file.headers });
        return void response.end(file.body);
      }
    }
  };

  const listener: RequestListener = (request, response) => {
    responses.add(response);
    response.once("close", () => responses.delete(response));
    const url = new URL(request.url ?? "/", "http://gateway");
    const headers = corsHeaders(request, corsOrigins) as Record<string, string>;
    if (request.method === "OPTIONS") {
      response.writeHead(204, preflightHeaders(request, corsOrigins)).end();
      return;
    }
    let route: Route;
    try {
      route = matchRoute(request.method ?? "GET", url.pathname);
    } catch (err) {
      return sendFailure(response, err, headers, url.pathname);
    }
    serve(request, response, route, url.searchParams, headers).catch((err: unknown) => {
      // A body left unread (too large) cannot be followed by another request on this connection.
      if (!request.complete) response.setHeader("connection", "close");
      sendFailure(response, err, headers, route.kind);
    });
  };
  const tls = options.tls === undefined ? undefined : await loadGatewayTls(options.tls, logger);
  const server =
    tls === undefined ? createHttpServer(listener) : createHttpsServer(tls.options, listener);
  if (server instanceof TlsServer) tls?.follow(server);

  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: Math.ceil((options.maxMessageBytes * 4) / 3) + frameOverheadBytes,
  });
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? "/", "http://gateway");
    let release: () => void;
    try {
      if (matchRoute(request.method ?? "GET", url.pathname).kind !== "ws") {
        throw new GatewayRefusalError(404, `no WebSocket at ${url.pathname}; it is /v1/ws`);
      }
      refuseForeignOrigin(request, corsOrigins);
      release = slots.acquire();
    } catch (err) {
      return refuseUpgrade(socket, err);
    }
    sockets.handleUpgrade(request, socket, head, (webSocket) => {
      webSocket.once("close", release);
      serveWebSocket(handlers, webSocket, callOrigin(request, url.searchParams), slots);
    });
  });

  try {
    await listen(server, options.address);
  } catch (err) {
    tls?.close();
    throw err;
  }
  const bound = server.address();
  return {
    port: typeof bound === "object" && bound !== null ? bound.port : options.address.port,
    openStreams: () => slots.open,
    close: async () => {
      for (const client of sockets.clients) client.close(1001, "broker is shutting down");
      for (const response of responses) response.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      tls?.close();
    },
  };
}

/**
 * A browser's WebSocket is not held by CORS, so the origins it may come from are checked here: the
 * gateway's own, or one of HERALD_WEB_CORS_ORIGINS. Non-browser clients send no Origin.
 */
function refuseForeignOrigin(request: IncomingMessage, origins: readonly string[]): void {
  const origin = request.headers.origin;
  if (origin === undefined || origins.includes("*") || origins.includes(origin)) return;
  if (URL.canParse(origin) && new URL(origin).host === request.headers.host) return;
  throw new GatewayRefusalError(403, `origin ${origin} is not in HERALD_WEB_CORS_ORIGINS`);
}

/** Answers a refused upgrade on the raw socket with the JSON error an HTTP request would get. */
function refuseUpgrade(socket: Duplex, err: unknown): void {
  const failure = toHttpFailure(err);
  const body = `${JSON.stringify({ code: failure.code, message: failure.message })}\n`;
  socket.end(
    `HTTP/1.1 ${failure.status} Refused\r\nconnection: close\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function listen(server: Server, address: HostPort): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (err) => reject(new ListenError(address, err)));
    server.listen(address.port, address.host, () => resolve());
  });
}

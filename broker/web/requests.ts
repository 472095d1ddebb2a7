/**
 * The gateway's routes and the parts of a request they take (path, query, headers), checked with
 * zod into typed values; a malformed one is InvalidArgumentError (400). Subjects themselves are
 * checked by the Broker handlers, as for gRPC.
 */
import type { IncomingMessage } from "node:http";
import { TLSSocket } from "node:tls";
import { Metadata } from "@grpc/grpc-js";
import { z } from "zod";
import { GatewayRefusalError, InvalidArgumentError } from "../errors.ts";
import type { CallOrigin } from "./in-process-call.ts";

/** Ids and expiries are int32 on the wire. */
const maxInt32 = 2 ** 31 - 1;

export type Route =
  | { readonly kind: "publish"; readonly subject: string }
  | { readonly kind: "fetch"; readonly subject: string; readonly id: string }
  | { readonly kind: "events"; readonly subject: string }
  | { readonly kind: "ws" }
  | { readonly kind: "cluster" | "subjects" | "groups" }
  | { readonly kind: "load" | "load-limits" }
  | { readonly kind: "console"; readonly file: string };

const consoleFile = (file: string): Route => ({ kind: "console", file });

const routes: readonly {
  pattern: RegExp;
  method: "GET" | "POST";
  route: (parts: string[]) => Route;
}[] = [
  {
    pattern: /^\/v1\/subjects\/([^/]+)\/messages$/,
    method: "POST",
    route: ([subject = ""]) => ({ kind: "publish", subject: pathSegment(subject) }),
  },
  {
    pattern: /^\/v1\/subjects\/([^/]+)\/messages\/([^/]+)$/,
    method: "GET",
    route: ([subject = "", id = ""]) => ({ kind: "fetch", subject: pathSegment(subject), id }),
  },
  {
    pattern: /^\/v1\/subjects\/([^/]+)\/events$/,
    method: "GET",
    route: ([subject = ""]) => ({ kind: "events", subject: pathSegment(subject) }),
  },
  { pattern: /^\/v1\/ws$/, method: "GET", route: () => ({ kind: "ws" }) },
  { pattern: /^\/v1\/cluster$/, method: "GET", route: () => ({ kind: "cluster" }) },
  { pattern: /^\/v1\/subjects$/, method: "GET", route: () => ({ kind: "subjects" }) },
  { pattern: /^\/v1\/groups$/, method: "GET", route: () => ({ kind: "groups" }) },
  { pattern: /^\/v1\/load$/, method: "POST", route: () => ({ kind: "load" }) },
  { pattern: /^\/v1\/load\/limits$/, method: "GET", route: () => ({ kind: "load-limits" }) },
  // The web console: its page at / and its bundles (console-assets.ts).
  { pattern: /^\/(?:index\.html)?$/, method: "GET", route: () => consoleFile("index.html") },
  {
    pattern: /^\/assets\/([\w.-]+)$/,
    method: "GET",
    route: ([name = ""]) => consoleFile(`assets/${name}`),
  },
];

function pathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidArgumentError(`the subject in the path is not valid percent-encoding: ${raw}`);
  }
}

/** The route of `method path`: 404 for no route, 405 for a route with another method. */
export function matchRoute(method: string, path: string): Route {
  for (const candidate of routes) {
    const match = candidate.pattern.exec(path);
    if (match === null) continue;
    if (method !== candidate.method) {
      throw new GatewayRefusalError(
        405,
        `${method} is not allowed on ${path}; use ${candidate.method}`,
      );
    }
    return candidate.route(match.slice(1));
  }
  throw new GatewayRefusalError(
    404,
    `no route ${method} ${path}; see broker/README.md#http-gateway`,
  );
}

const decimal = (name: string, min: number, hint: string) =>
  z
    .string()
    .regex(/^\d{1,10}$/, `${name} must be an integer from ${min} to ${maxInt32}${hint}`)
    .transform(Number)
    .pipe(
      z
        .int()
        .min(min, `${name} must be at least ${min}${hint}`)
        .max(maxInt32, `${name} must be at most ${maxInt32}`),
    );

const idSchema = decimal("id", 1, "");
const ttlSchema = decimal("ttl", 0, " (seconds; 0 or none = the broker's default)");
const fromSchema = decimal("from", 0, " (0 = live only)");
const lastEventIdSchema = decimal("Last-Event-ID", 0, "");

function parse<T>(schema: z.ZodType<T, string>, value: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidArgumentError(result.error.issues[0]?.message ?? "invalid");
  return result.data;
}

export const parseId = (raw: string) => parse(idSchema, raw);

/** `?ttl=SECONDS`, 0 when absent (the broker's default expiry applies). */
export function parseTtl(query: URLSearchParams): number {
  const raw = query.get("ttl");
  return raw === null ? 0 : parse(ttlSchema, raw);
}

/**
 * The id an event stream starts from: after `Last-Event-ID` when the client resumes (it names
 * the last event it received), else `?from=ID`, else live only (0).
 */
export function parseStart(
  request: IncomingMessage,
  query: URLSearchParams,
  pattern: boolean,
): number {
  const lastEventId = request.headers["last-event-id"];
  // A pattern stream is live only, as a pattern Subscribe: a reconnect resumes live.
  if (typeof lastEventId === "string" && lastEventId !== "" && !pattern) {
    return parse(lastEventIdSchema, lastEventId) + 1;
  }
  const raw = query.get("from");
  return raw === null ? 0 : parse(fromSchema, raw);
}

/**
 * The call metadata a gRPC client would send: its bearer token (`authorization`, or
 * `?access_token=` where a browser cannot set headers: EventSource, WebSocket) and trace context.
 * Nothing else is carried, so a caller cannot mark its call as forwarded by a member.
 */
export function callMetadata(request: IncomingMessage, query: URLSearchParams): Metadata {
  const metadata = new Metadata();
  const { authorization, traceparent, tracestate } = request.headers;
  const token = query.get("access_token");
  if (typeof authorization === "string") metadata.set("authorization", authorization);
  else if (token !== null) metadata.set("authorization", `Bearer ${token}`);
  if (typeof traceparent === "string") metadata.set("traceparent", traceparent);
  if (typeof tracestate === "string") metadata.set("tracestate", tracestate);
  return metadata;
}

/** The metadata and, over mTLS, the verified client certificate, as access control reads them. */
export function callOrigin(request: IncomingMessage, query: URLSearchParams): CallOrigin {
  const { socket } = request;
  const verified = socket instanceof TLSSocket && socket.authorized;
  const certificate = verified ? socket.getPeerCertificate() : undefined;
  return {
    metadata: callMetadata(request, query),
    authContext:
      certificate === undefined || certificate.raw === undefined
        ? {}
        : { transportSecurityType: "ssl", sslPeerCertificate: certificate },
  };
}

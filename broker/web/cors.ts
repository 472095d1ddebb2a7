/**
 * CORS (HERALD_WEB_CORS_ORIGINS): a listed origin, or any with `*`, may call the gateway from a
 * browser with a bearer token. An origin not listed gets no CORS headers, so the browser refuses.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";

const allowedMethods = "GET, POST, OPTIONS";
const allowedHeaders = "authorization, content-type, idempotency-key, last-event-id";
/** How long a browser may reuse a preflight answer. */
const preflightMaxAgeSeconds = 600;

export function corsHeaders(
  request: IncomingMessage,
  origins: readonly string[],
): OutgoingHttpHeaders {
  const origin = request.headers.origin;
  if (origin === undefined) return {};
  if (origins.includes("*")) return { "access-control-allow-origin": "*" };
  if (!origins.includes(origin)) return { vary: "origin" };
  return { "access-control-allow-origin": origin, vary: "origin" };
}

/** The answer to a preflight (OPTIONS): 204, with the allowance only for an allowed origin. */
export function preflightHeaders(
  request: IncomingMessage,
  origins: readonly string[],
): OutgoingHttpHeaders {
  const headers = corsHeaders(request, origins);
  if (headers["access-control-allow-origin"] === undefined) return headers;
  return {
    ...headers,
    "access-control-allow-methods": allowedMethods,
    "access-control-allow-headers": allowedHeaders,
    "access-control-max-age": String(preflightMaxAgeSeconds),
  };
}

/**
 * The HTTP endpoints both programs serve: /healthz (the process runs), /readyz
 * (the program's own readiness; Kubernetes readiness) and /metrics (Prometheus
 * text format), and on the broker /cluster (the adopted membership epoch, which
 * the operator reads while scaling).
 */
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import type { HostPort } from "./host-port.ts";
import { ListenError } from "./listen.ts";

export interface HttpServerOptions {
  readonly address: HostPort;
  readonly ready: () => boolean;
  /** Why the program is not ready, for the /readyz body; asked only while `ready()` is false. */
  readonly notReadyReason?: () => string | undefined;
  /** A prom-client registry, or what aggregates several processes' registries. */
  readonly registry: Pick<Registry, "metrics" | "contentType">;
  /** `{epoch, members, self}` of the adopted membership. */
  readonly cluster?: () => unknown;
}

const reasonSuffix = (reason: string | undefined) => (reason === undefined ? "" : `: ${reason}`);

export async function startHttpServer(
  options: HttpServerOptions,
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://broker").pathname;
    const reply = (code: number, body: string, contentType = "text/plain; charset=utf-8") => {
      response.writeHead(code, { "content-type": contentType }).end(body);
    };
    if (request.method !== "GET" && request.method !== "HEAD")
      return reply(405, "method not allowed\n");
    switch (path) {
      case "/healthz":
        return reply(200, "ok\n");
      case "/readyz":
        if (options.ready()) return reply(200, "ready\n");
        return reply(503, `not ready${reasonSuffix(options.notReadyReason?.())}\n`);
      case "/cluster":
        if (options.cluster === undefined) return reply(404, "not found\n");
        return reply(200, `${JSON.stringify(options.cluster())}\n`, "application/json");
      case "/metrics":
        options.registry.metrics().then(
          (text) => reply(200, text, options.registry.contentType),
          () => reply(500, "metrics unavailable\n"),
        );
        return;
      default:
        return reply(404, "not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new ListenError(options.address, err)));
    server.listen(options.address.port, options.address.host, () => resolve());
  });
  const bound = server.address();
  return {
    server,
    port: typeof bound === "object" && bound !== null ? bound.port : options.address.port,
  };
}

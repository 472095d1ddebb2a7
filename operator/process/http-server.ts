import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

/** /healthz (the process runs), /readyz (`ready()`, i.e. caches synced) and /metrics. */
export async function startHttpServer(options: {
  host: string;
  port: number;
  ready: () => boolean;
  registry: Registry;
}): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const reply = (code: number, body: string, contentType = "text/plain; charset=utf-8") =>
      response.writeHead(code, { "content-type": contentType }).end(body);
    switch (new URL(request.url ?? "/", "http://operator").pathname) {
      case "/healthz":
        return reply(200, "ok\n");
      case "/readyz":
        return options.ready() ? reply(200, "ready\n") : reply(503, "caches not synced\n");
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
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const bound = server.address();
  return { server, port: typeof bound === "object" && bound ? bound.port : options.port };
}

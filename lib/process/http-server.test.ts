import type { Server } from "node:http";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { type HttpServerOptions, startHttpServer } from "./http-server.ts";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    await new Promise((resolve) => server.close(resolve));
  }
});

async function readyz(options: Pick<HttpServerOptions, "ready" | "notReadyReason">) {
  const { server, port } = await startHttpServer({
    address: { host: "127.0.0.1", port: 0 },
    registry: new Registry(),
    ...options,
  });
  servers.push(server);
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  return [response.status, await response.text()];
}

describe("/readyz", () => {
  it("is 200 while ready", async () => {
    expect(await readyz({ ready: () => true, notReadyReason: () => "unused" })).toEqual([
      200,
      "ready\n",
    ]);
  });

  it("says why it is not ready", async () => {
    expect(
      await readyz({
        ready: () => false,
        notReadyReason: () => "store unavailable: connect ECONNREFUSED 127.0.0.1:5432",
      }),
    ).toEqual([503, "not ready: store unavailable: connect ECONNREFUSED 127.0.0.1:5432\n"]);
  });

  it("is a bare 503 when the program gives no reason", async () => {
    expect(await readyz({ ready: () => false })).toEqual([503, "not ready\n"]);
  });
});

import { createServer } from "node:net";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { EnvError } from "./env.ts";
import { startHttpServer } from "./http-server.ts";
import { asEnvError, ListenError, listenProblem } from "./listen.ts";

describe("listen failures", () => {
  it.each([
    ["listen EADDRINUSE: address already in use 127.0.0.1:9464", "address already in use"],
    [
      "No address added out of total 1 resolved errors: [listen EADDRNOTAVAIL: address not available 192.0.2.1:50051]",
      "address not available",
    ],
    ["listen EACCES: permission denied 0.0.0.0:80", "permission denied"],
    ["getaddrinfo ENOTFOUND nowhere.invalid", "host not found"],
    ["Name resolution failed for target dns:nowhere.invalid:50051", "host not found"],
    ["something\nelse", "something else"],
  ])("say %j as %j", (message, problem) => {
    expect(listenProblem(new Error(message))).toBe(problem);
  });

  it("name the variable of the address once rethrown as an EnvError", () => {
    const failed = new ListenError({ host: "::1", port: 50051 }, new Error("listen EADDRINUSE"));
    expect(() => asEnvError("HERALD_GRPC_ADDR")(failed)).toThrow(
      new EnvError("HERALD_GRPC_ADDR", "cannot listen on [::1]:50051: address already in use"),
    );
    const other = new Error("store gone");
    expect(() => asEnvError("HERALD_GRPC_ADDR")(other)).toThrow(other);
  });

  it("come out of the HTTP server as a ListenError", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const address = taken.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      await expect(
        startHttpServer({
          address: { host: "127.0.0.1", port },
          ready: () => true,
          registry: new Registry(),
        }),
      ).rejects.toThrow(`cannot listen on 127.0.0.1:${port}: address already in use`);
    } finally {
      taken.close();
    }
  });
});

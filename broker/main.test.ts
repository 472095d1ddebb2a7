import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePortRange } from "../testing/free-port.ts";
import { startupLogs } from "./test/broker-process.ts";

const mainPath = join(import.meta.dirname, "main.ts");

/** Runs the broker to its exit; the addresses default to free ports. */
const runBroker = (env: Record<string, string>) =>
  spawnSync(process.execPath, [mainPath], {
    env: {
      PATH: process.env.PATH ?? "",
      HERALD_GRPC_ADDR: "127.0.0.1:0",
      HERALD_HTTP_ADDR: "127.0.0.1:0",
      ...env,
    },
    encoding: "utf8",
    timeout: 20_000,
  });

describe("broker process configuration", { timeout: 30_000 }, () => {
  /** A port another process holds. */
  let taken: Server;
  let takenPort = 0;
  let workerClusterBase = 0;
  beforeAll(async () => {
    workerClusterBase = await freePortRange(2);
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const address = taken.address();
    takenPort = typeof address === "object" && address !== null ? address.port : 0;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it.each([
    [
      { HERALD_BATCH_MAX_SIZE: "abc" },
      'HERALD_BATCH_MAX_SIZE: expected an integer from 1 to 100000, got "abc"',
    ],
    [
      { HERALD_STORE_TIMEOUT_MS: "3000000000" },
      'HERALD_STORE_TIMEOUT_MS: expected an integer from 1 to 2147483647, got "3000000000"',
    ],
    [
      { HERALD_STORE: "cassandra", HERALD_CASSANDRA_CONTACT_POINTS: ",,," },
      'HERALD_CASSANDRA_CONTACT_POINTS: expected a comma-separated list, got ",,,"',
    ],
    // TEST-NET-1 is never an address of this host.
    [
      { HERALD_GRPC_ADDR: "192.0.2.1:50051" },
      "HERALD_GRPC_ADDR: cannot listen on 192.0.2.1:50051: address not available",
    ],
    [
      { HERALD_HTTP_ADDR: "192.0.2.1:9464" },
      "HERALD_HTTP_ADDR: cannot listen on 192.0.2.1:9464: address not available",
    ],
    [
      { HERALD_WORKERS: "2", HERALD_CLUSTER_ADDR: "127.0.0.1:0" },
      "HERALD_CLUSTER_ADDR: unset it with HERALD_WORKERS > 1: worker i listens on HERALD_WORKER_CLUSTER_ADDR's port + i",
    ],
    [
      { HERALD_WORKERS: "3", HERALD_WORKER_GRPC_ADDR: "127.0.0.1:65534" },
      "HERALD_WORKER_GRPC_ADDR: needs ports 65534 to 65536 for 3 workers: a port from 1 to 65533",
    ],
    [
      { HERALD_GRPC_ADDR: "nowhere.invalid:50051" },
      "HERALD_GRPC_ADDR: cannot listen on nowhere.invalid:50051: host not found",
    ],
  ])("exits with code 2 and one line naming the variable: %o", (env, line) => {
    const result = runBroker(env);
    expect(result.stderr).toBe(`${line}\n`);
    expect(result.status).toBe(2);
  });

  it.each(["HERALD_GRPC_ADDR", "HERALD_HTTP_ADDR"])(
    "exits with code 2 and one line when %s is in use",
    (variable) => {
      const result = runBroker({ [variable]: `127.0.0.1:${takenPort}` });
      expect(result.stderr).toBe(
        `${variable}: cannot listen on 127.0.0.1:${takenPort}: address already in use\n`,
      );
      expect(result.status).toBe(2);
    },
  );

  it("exits with code 2 and one line when a worker's own port is in use", () => {
    const result = runBroker({
      HERALD_WORKERS: "2",
      HERALD_WORKER_GRPC_ADDR: `127.0.0.1:${takenPort}`,
      HERALD_WORKER_CLUSTER_ADDR: `127.0.0.1:${workerClusterBase}`,
    });
    expect(result.stderr).toBe(
      `HERALD_WORKER_GRPC_ADDR: cannot listen on 127.0.0.1:${takenPort}: address already in use\n`,
    );
    expect(result.status).toBe(2);
  });

  it("prints nothing on stdout for a bad value: the logger is not started yet", () => {
    expect(runBroker({ HERALD_BATCH_MAX_SIZE: "abc" }).stdout).toBe("");
  });

  it("starts despite an unknown HERALD_* variable, naming it in one warning", async () => {
    const { lines, exitCode } = await startupLogs({ HERALD_SETTING_FROM_A_NEWER_OPERATOR: "1" });
    // Other warnings (authentication off) may come too; one names the variable.
    const warnings = lines.filter((line) => line.level === 40).map((line) => line.msg);
    expect(warnings.filter((msg) => msg.includes("HERALD_SETTING_FROM_A_NEWER_OPERATOR"))).toEqual([
      "ignoring unknown variables: HERALD_SETTING_FROM_A_NEWER_OPERATOR",
    ]);
    expect(exitCode).toBe(0);
  });
});

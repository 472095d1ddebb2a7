import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const mainPath = join(import.meta.dirname, "main.ts");

/** An API server nobody answers on: startup gets as far as listening before it calls one. */
const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
current-context: c
`;

describe("operator process startup", { timeout: 30_000 }, () => {
  let dir = "";
  /** A port another process holds. */
  let taken: Server;
  let takenPort = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "herald-operator-main-"));
    await writeFile(join(dir, "kubeconfig"), kubeconfig);
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const address = taken.address();
    takenPort = typeof address === "object" && address !== null ? address.port : 0;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const runOperator = (env: Record<string, string>) =>
    spawnSync(process.execPath, [mainPath], {
      env: {
        PATH: process.env.PATH ?? "",
        KUBECONFIG: join(dir, "kubeconfig"),
        LEADER_ELECTION: "false",
        ...env,
      },
      encoding: "utf8",
      timeout: 20_000,
    });

  it("exits with code 2 and one line naming the variable when a value is out of bounds", () => {
    const result = runOperator({ HERALD_MAX_CONCURRENT_RECONCILES: "1000" });
    expect(result.stderr).toBe(
      'HERALD_MAX_CONCURRENT_RECONCILES: expected an integer from 1 to 64, got "1000"\n',
    );
    expect(result.status).toBe(2);
  });

  it("exits with code 2 and one line naming HERALD_HTTP_ADDR when it cannot listen there", () => {
    const result = runOperator({ HERALD_HTTP_ADDR: `127.0.0.1:${takenPort}` });
    expect(result.stderr).toBe(
      `HERALD_HTTP_ADDR: cannot listen on 127.0.0.1:${takenPort}: address already in use\n`,
    );
    expect(result.status).toBe(2);
  });
});

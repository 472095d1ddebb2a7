import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
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

  it("says on /readyz why it is not ready", async () => {
    const child = spawn(process.execPath, [mainPath], {
      env: {
        PATH: process.env.PATH ?? "",
        KUBECONFIG: join(dir, "kubeconfig"),
        LEADER_ELECTION: "false",
        HERALD_HTTP_ADDR: "127.0.0.1:0",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(child, "exit");
    let port = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      const parsed = JSON.parse(line) as { msg: string; port?: number };
      if (parsed.msg === "operator http listening") {
        port = parsed.port ?? 0;
        break;
      }
    }
    try {
      const readyz = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(readyz.status).toBe(503);
      expect(await readyz.text()).toBe("not ready: informer caches not synced yet\n");
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("exits with code 2 and one line naming HERALD_HTTP_ADDR when it cannot listen there", () => {
    const result = runOperator({ HERALD_HTTP_ADDR: `127.0.0.1:${takenPort}` });
    expect(result.stderr).toBe(
      `HERALD_HTTP_ADDR: cannot listen on 127.0.0.1:${takenPort}: address already in use\n`,
    );
    expect(result.status).toBe(2);
  });
});

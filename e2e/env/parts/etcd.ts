import { join } from "node:path";
import {
  ensureDir,
  portOpen,
  readPid,
  startDaemon,
  stopDaemon,
  waitUntil,
  type DaemonSpec,
} from "../daemon.ts";
import { EnvError } from "../../../testing/env-error.ts";
import type { TestEnv } from "../../../testing/test-env.ts";
import type { Part } from "../part.ts";
import { cacheDir, partDir } from "../../../testing/paths.ts";
import { ensureGoBinary, goBuildArgs, wrapperVersions } from "./kube/go-build.ts";
import { probe } from "./kube/probe.ts";

/**
 * etcd 3.5 for the API server, built from go.etcd.io/etcd/server/v3 through
 * the wrapper module (Debian's 3.4 is below what Kubernetes 1.31+ supports).
 * Unusual fixed ports keep it clear of a developer's own etcd on 2379/2380.
 */
const part = "etcd";
const host = "127.0.0.1";
export const ETCD_CLIENT_PORT = 52379;
export const ETCD_PEER_PORT = 52380;
const clientUrl = `http://${host}:${ETCD_CLIENT_PORT}`;
const peerUrl = `http://${host}:${ETCD_PEER_PORT}`;

const dir = partDir("etcd");
const spec = { part, pidFile: join(dir, "etcd.pid"), logFile: join(dir, "etcd.log") };

export async function etcdBinary(): Promise<string> {
  const { etcd } = await wrapperVersions();
  return ensureGoBinary({
    part,
    name: "etcd",
    envVar: "HERALD_ETCD",
    binDir: join(cacheDir, `etcd-${etcd}`, "bin"),
    logFile: join(dir, "build.log"),
    // api/v3/version.Version is a source constant that already matches the
    // module version; its GitSHA is unknown without a git tree, so no -X.
    goArgs: (out) => goBuildArgs(out, "./etcd", {}),
    expectVersion: etcd.replace(/^v/, ""),
    needsWrapperModules: true,
  });
}

const healthy = (): Promise<boolean> =>
  probe(`${clientUrl}/health`, { timeoutMs: 2000 }, (body) => body.includes('"health":"true"'));

async function assertPortFree(port: number): Promise<void> {
  if (await portOpen(host, port)) {
    throw new EnvError(
      part,
      `port ${host}:${port} is taken by a process this checkout did not start`,
      "stop it (`make env-down` in the checkout that started it, or kill that process)",
    );
  }
}

export const etcdPart: Part<TestEnv["etcd"]> = {
  name: part,

  async up() {
    await ensureDir(dir);
    let pid = await readPid(spec.pidFile);
    if (!pid) {
      const bin = await etcdBinary();
      await assertPortFree(ETCD_CLIENT_PORT);
      await assertPortFree(ETCD_PEER_PORT);
      const daemon: DaemonSpec = {
        ...spec,
        cmd: bin,
        args: [
          "--name=herald",
          `--data-dir=${join(dir, "data")}`,
          `--listen-client-urls=${clientUrl}`,
          `--advertise-client-urls=${clientUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=herald=${peerUrl}`,
          "--initial-cluster-state=new",
          // Disposable test data: durability is not worth an fsync per write.
          "--unsafe-no-fsync",
          "--log-level=warn",
        ],
      };
      pid = await startDaemon(daemon);
    }
    await waitUntil(spec, "healthy (GET /health)", healthy, 60_000);
    return { url: clientUrl, pid };
  },

  async down() {
    await stopDaemon(spec.pidFile);
  },
};

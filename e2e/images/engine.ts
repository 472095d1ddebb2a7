/**
 * The Docker engine the image builds run on: Debian's docker.io. A daemon that already answers is
 * used as it is; otherwise one is started without iptables and without a bridge (every build and
 * container uses the host network) and logs under .herald/docker/. Only a daemon started here is
 * stopped by `stop`.
 */
import { join } from "node:path";
import { aptInstall } from "../env/apt.ts";
import { ensureDir, startDaemon, stopDaemon, waitUntil } from "../env/daemon.ts";
import { EnvError } from "../../testing/env-error.ts";
import { partDir } from "../../testing/paths.ts";
import { have } from "../../testing/run.ts";
import { docker, dockerCli } from "./docker.ts";

const dockerdArgs = ["--iptables=false", "--ip6tables=false", "--bridge=none"];

/** The engine could not start on this machine; the message is the daemon's own error. */
export class EngineError extends Error {
  override name = "EngineError";
}

export interface Engine {
  /** True when this process started dockerd. */
  readonly started: boolean;
  /** Engine version, e.g. 20.10.24+dfsg1. */
  readonly version: string;
  stop(): Promise<void>;
}

const serverVersion = () =>
  docker(["version", "--format", "{{.Server.Version}}"]).then((out) => out.trim());

export async function ensureEngine(): Promise<Engine> {
  if (!(await have(dockerCli))) await aptInstall("docker", ["docker.io"]);
  const running = await serverVersion().catch(() => undefined);
  if (running !== undefined) return { started: false, version: running, stop: async () => {} };
  // Checked only now: an engine that answers may come from another package (docker-ce).
  if (!(await have("dockerd"))) await aptInstall("docker", ["docker.io"]);

  const dir = await ensureDir(partDir("docker"));
  const spec = {
    part: "docker",
    cmd: "dockerd",
    args: dockerdArgs,
    pidFile: join(dir, "dockerd.pid"),
    logFile: join(dir, "dockerd.log"),
  };
  await startDaemon(spec);
  try {
    await waitUntil(spec, "answering", () => serverVersion().then(() => true), 60_000);
  } catch (err) {
    await stopDaemon(spec.pidFile);
    if (err instanceof EnvError) throw new EngineError(err.message);
    throw err;
  }
  return {
    started: true,
    version: await serverVersion(),
    stop: () => stopDaemon(spec.pidFile).then(() => undefined),
  };
}

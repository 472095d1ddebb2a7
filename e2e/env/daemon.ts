import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { EnvError } from "../../testing/env-error.ts";

/**
 * A long-running service of the test environment. It outlives `make env-up`
 * (detached, own process group) and is found again through its pid file.
 */
export interface DaemonSpec {
  part: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  pidFile: string;
  logFile: string;
  /** Run as this uid/gid (PostgreSQL refuses root). */
  uid?: number;
  gid?: number;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(pidFile, "utf8")).trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Start the daemon unless its pid file names a live process; returns its pid. */
export async function startDaemon(spec: DaemonSpec): Promise<number> {
  const running = await readPid(spec.pidFile);
  if (running) return running;
  const out = openSync(spec.logFile, "a");
  const child = spawn(spec.cmd, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ["ignore", out, out],
    uid: spec.uid,
    gid: spec.gid,
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new EnvError(
      spec.part,
      `could not start ${spec.cmd}`,
      `check that it is installed and executable`,
    );
  }
  child.unref();
  await writeFile(spec.pidFile, `${pid}\n`);
  return pid;
}

/** SIGTERM the daemon's process group, then SIGKILL after `graceMs`. */
export async function stopDaemon(pidFile: string, graceMs = 15_000): Promise<boolean> {
  const pid = await readPid(pidFile);
  if (!pid) {
    await rm(pidFile, { force: true });
    return false;
  }
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signalGroup("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signalGroup("SIGKILL");
  while (isAlive(pid)) await sleep(50);
  await rm(pidFile, { force: true });
  return true;
}

/**
 * Poll `probe` until it returns true. On timeout, throw an EnvError that
 * quotes the last line of the daemon's log, which usually names the cause.
 */
export async function waitUntil(
  spec: Pick<DaemonSpec, "part" | "logFile" | "pidFile">,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    const alive = await readPid(spec.pidFile);
    if (!alive || Date.now() > deadline) {
      const log = await readFile(spec.logFile, "utf8").catch(() => "");
      const last = log.trim().split("\n").filter(Boolean).at(-1)?.slice(0, 300) ?? "no output";
      const problem = alive ? `not ${what} after ${timeoutMs / 1000}s` : `exited before ${what}`;
      throw new EnvError(spec.part, `${problem}; last log line: ${last}`, `see ${spec.logFile}`);
    }
    await sleep(250);
  }
}

export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function ensureDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

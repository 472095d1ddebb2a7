/**
 * Servers the bench starts itself (broker, ceiling, nats-server, rabbitmq-server).
 * Each is a child process in a process group of its own; `stop` ends that group,
 * and every one still running is killed when the bench exits, so no process is
 * left behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";

export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every output line so far (stdout and stderr). */
  readonly logs: string[];
  /** Resolves with the first line matching `pattern`; rejects on exit or timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** CPU time (user + system, ms) used so far by the live processes of its group. */
  cpuMs(): number;
  /** SIGTERM to the process group, then SIGKILL after `graceMs` (and to what is left of the group). */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Service>();
const exitHooks = new Set<() => void>();

/** The whole process group of `child` (it leads one: spawned detached). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone.
  }
}

/** A synchronous cleanup for what leaves the process group (epmd), run if the bench exits early. */
export function onEarlyExit(hook: () => void): () => void {
  exitHooks.add(hook);
  return () => exitHooks.delete(hook);
}

process.once("exit", () => {
  for (const service of running) killGroup(service.child, "SIGKILL");
  for (const hook of exitHooks) hook();
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}; stopping the servers it started`);
    process.exit(130);
  });
}

export function startService(
  name: string,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Service {
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const exited = once(child, "exit");
  const logs: string[] = [];
  const listeners = new Set<(line: string) => void>();
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      if (logs.length < 10_000) logs.push(line);
      for (const listener of listeners) listener(line);
    });
  }
  const service: Service = {
    name,
    child,
    logs,
    waitForLine(pattern, timeoutMs) {
      const found = logs.map((line) => pattern.exec(line)).find((match) => match !== null);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const fail = (why: string) => {
          cleanup();
          reject(new Error(`${name}: ${why}; last output:\n${logs.slice(-15).join("\n")}`));
        };
        const timer = setTimeout(
          () => fail(`no line matching ${pattern} in ${timeoutMs} ms`),
          timeoutMs,
        );
        const listener = (line: string) => {
          const match = pattern.exec(line);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const onExit = () => fail("exited");
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off("exit", onExit);
        };
        listeners.add(listener);
        child.once("exit", onExit);
      });
    },
    cpuMs: () => (child.pid === undefined ? NaN : processGroupCpuMs(child.pid)),
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
      if (child.exitCode === null && child.signalCode === null) await exited;
      clearTimeout(timer);
      // Children of the server (erl's helpers) in the same group.
      killGroup(child, "SIGKILL");
      running.delete(service);
    },
  };
  running.add(service);
  return service;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/** User + system CPU (ms) of every live process whose process group is `pgid`, from /proc. */
export function processGroupCpuMs(pgid: number): number {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name: state ppid pgrp … utime(14) stime(15), 1-based overall.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / ticksPerSecond;
}

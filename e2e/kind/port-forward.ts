/** One `kubectl port-forward` process and the local port it listens on. */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface Forward {
  readonly port: number;
  /** False once the process has exited: kubectl gives up when its pod goes away. */
  alive(): boolean;
  stop(): void;
}

/** The local port of kubectl's "Forwarding from 127.0.0.1:NNNNN -> 50051" line. */
export function parseForwardingPort(line: string): number | undefined {
  const match = /^Forwarding from 127\.0\.0\.1:(\d+) -> \d+/.exec(line.trim());
  const port = Number(match?.[1]);
  return port > 0 && port < 65536 ? port : undefined;
}

/** Starts the forward and resolves once it listens; rejects with kubectl's error if it exits first. */
export function startPortForward(
  command: string,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<Forward> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let exited = false;
  let stderr = "";
  // Only the tail: kubectl reports each failed connection, and a forward can live long.
  child.stderr
    .setEncoding("utf8")
    .on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
  const stop = () => {
    if (!exited) child.kill("SIGTERM");
  };
  return new Promise<Forward>((resolve, reject) => {
    const fail = (why: string) => {
      stop();
      reject(new Error(`kubectl ${args.join(" ")}: ${why}`));
    };
    const timer = setTimeout(() => fail(`no forwarding line within ${timeoutMs} ms`), timeoutMs);
    child.once("error", (err) => fail(err.message));
    child.once("exit", (code) => {
      exited = true;
      clearTimeout(timer);
      fail(stderr.trim() || `exited ${String(code)}`);
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      const port = parseForwardingPort(line);
      if (port === undefined) return;
      clearTimeout(timer);
      resolve({ port, alive: () => !exited, stop });
    });
  });
}

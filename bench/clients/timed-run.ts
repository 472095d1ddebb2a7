/**
 * Runs one load generator as a child process under GNU time, which reports the child's own
 * user + system CPU (its rusage at exit) — the load generator's cost, apart from the servers'
 * and the bench's own.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDebianPackage } from "../targets/debian.ts";

export interface TimedRun {
  readonly stdout: string;
  /** User + system CPU of the child (and of the children it waited for), in ms. */
  readonly cpuMs: number;
}

const timeBinary = "/usr/bin/time";

/** `command args…` to completion, killed after `timeoutMs`; rejects on a non-zero exit. */
export async function timedRun(
  command: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<TimedRun> {
  const time = await ensureDebianPackage("time", timeBinary);
  if ("unavailable" in time) throw new Error(`GNU time: ${time.unavailable}`);
  const dir = await mkdtemp(join(tmpdir(), "herald-bench-time-"));
  const report = join(dir, "time");
  try {
    const started = performance.now();
    const child = spawn(time.path, ["-f", "%U %S", "-o", report, command, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const code = await new Promise<number | null>((resolve) => {
      child.on("error", () => resolve(127));
      child.on("close", resolve);
    });
    clearTimeout(timer);
    const wallMs = performance.now() - started;
    if (code !== 0) {
      const last = stderr.trim().split("\n").filter(Boolean).slice(-3).join(" / ");
      throw new Error(
        `${command.split("/").at(-1) ?? command} exited ${code ?? "on a signal"}${wallMs >= timeoutMs ? ` (killed after ${timeoutMs} ms)` : ""}: ${last.slice(0, 400)}`,
      );
    }
    const [user = NaN, system = NaN] = (await readFile(report, "utf8"))
      .trim()
      .split("\n")
      .at(-1)
      ?.split(" ")
      .map(Number) ?? [NaN, NaN];
    const cpuMs = (user + system) * 1000;
    // A figure the result file cannot hold (JSON has no NaN) fails this run, not the bench's.
    if (!Number.isFinite(cpuMs)) throw new Error(`GNU time reported no CPU times for ${command}`);
    return { stdout, cpuMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

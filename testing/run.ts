import { spawn } from "node:child_process";
import { appendFile } from "node:fs/promises";
import { EnvError } from "./env-error.ts";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The part to name in the one-line error if the command fails. */
  part: string;
  /** How the user gets past the failure. */
  remedy: string;
  /** Where to append the command's output; otherwise it is only quoted on failure. */
  logFile?: string;
  /** Run as this uid/gid (PostgreSQL's tools refuse root). */
  uid?: number;
  gid?: number;
}

/** Run a command to completion; on failure throw an EnvError carrying the output's last line. */
export async function run(cmd: string, args: string[], opts: RunOptions): Promise<string> {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    uid: opts.uid,
    gid: opts.gid,
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number>((resolve) => {
    child.on("error", () => resolve(127));
    child.on("close", (c) => resolve(c ?? 1));
  });
  if (opts.logFile) {
    await appendFile(opts.logFile, `$ ${cmd} ${args.join(" ")}\n${output}\n`);
  }
  if (code !== 0) {
    const last = output.trim().split("\n").filter(Boolean).at(-1) ?? `exit ${code}`;
    const where = opts.logFile ? ` (log: ${opts.logFile})` : "";
    throw new EnvError(
      opts.part,
      `\`${cmd} ${args[0] ?? ""}\` failed: ${last.slice(0, 300)}${where}`,
      opts.remedy,
    );
  }
  return output;
}

/** True when `cmd` resolves on PATH (or is an executable path). */
export async function have(cmd: string): Promise<boolean> {
  const child = spawn("sh", ["-c", `command -v "${cmd}"`], { stdio: "ignore" });
  return new Promise((resolve) => child.on("close", (c) => resolve(c === 0)));
}

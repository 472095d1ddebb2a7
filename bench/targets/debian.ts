/**
 * Peers' servers come from Debian packages. A missing one is installed with
 * apt-get (as root, as on these machines); a package Debian does not have, or
 * an install that fails, is reported as one line instead of failing the run.
 */
import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** An absolute path to the executable, or why it cannot be had. */
export type Installed = { readonly path: string } | { readonly unavailable: string };

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function aptGet(args: string[]): Promise<void> {
  await run("apt-get", ["-y", "-q", ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

async function candidate(pkg: string): Promise<string | undefined> {
  const { stdout } = await run("apt-cache", ["policy", pkg]).catch(() => ({ stdout: "" }));
  const version = /Candidate:\s*(\S+)/.exec(stdout)?.[1];
  return version === undefined || version === "(none)" ? undefined : version;
}

/** Ensures `pkg` is installed and that `path` (the server binary it ships) is executable. */
export async function ensureDebianPackage(pkg: string, path: string): Promise<Installed> {
  if (await executable(path)) return { path };
  try {
    if ((await candidate(pkg)) === undefined) await aptGet(["update"]);
    if ((await candidate(pkg)) === undefined)
      return { unavailable: `Debian package ${pkg} not found by apt-cache` };
    console.error(`bench: installing ${pkg} from Debian`);
    await aptGet(["install", "--no-install-recommends", pkg]);
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    return { unavailable: `apt-get install ${pkg} failed: ${message}` };
  }
  return (await executable(path))
    ? { path }
    : { unavailable: `${pkg} installed but ${path} is missing` };
}

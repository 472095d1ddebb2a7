import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Repository root (this file lives in testing/). */
export const repoRoot = resolve(import.meta.dirname, "..");

/** Per-checkout runtime state: data directories, logs, pid files, env.json. */
export const stateDir = process.env.HERALD_STATE_DIR ?? join(repoRoot, ".herald");

/** Version-keyed installs shared by every checkout on the machine. */
export const cacheDir =
  process.env.HERALD_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "herald");

export const envFile = join(stateDir, "env.json");

export const partDir = (part: string): string => join(stateDir, part);

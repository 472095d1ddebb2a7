import { EnvError } from "../../testing/env-error.ts";
import { run } from "../../testing/run.ts";

let updated = false;

/**
 * Install Debian packages, refreshing the package lists only when the first
 * attempt cannot find them (a fresh machine has stale or empty lists).
 */
export async function aptInstall(part: string, packages: string[]): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new EnvError(
      part,
      `${packages.join(" ")} not installed`,
      `run: sudo apt-get install -y ${packages.join(" ")}`,
    );
  }
  const remedy = `run: apt-get update && apt-get install -y ${packages.join(" ")}`;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...packages], {
      part,
      remedy,
      env,
    });
  try {
    await install();
  } catch (err) {
    if (updated) throw err;
    updated = true;
    await run("apt-get", ["update", "-q"], { part, remedy, env });
    await install();
  }
}

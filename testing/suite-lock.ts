/**
 * A lock between test files that share cluster-scoped state: integration files run two at a
 * time, and one that removes a CRD (to test its absence) must not run while another relies on it.
 * The lock is a file created exclusively, holding its owner's pid; a lock whose owner died is
 * taken over.
 */
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { stateDir } from "./paths.ts";
import { until } from "./until.ts";

const lockDir = join(stateDir, "locks");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function tryTake(path: string): Promise<boolean> {
  try {
    const handle = await open(path, "wx");
    await handle.writeFile(String(process.pid));
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const owner = Number(await readFile(path, "utf8").catch(() => ""));
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) return false;
    await rm(path, { force: true });
    return false;
  }
}

/** Takes the named lock (waiting at most `timeoutMs`) and returns its release. */
export async function takeSuiteLock(
  name: string,
  timeoutMs = 600_000,
): Promise<() => Promise<void>> {
  await mkdir(lockDir, { recursive: true });
  const path = join(lockDir, `${name}.lock`);
  await until(`the ${name} lock`, () => tryTake(path), { timeoutMs, intervalMs: 250 });
  return () => rm(path, { force: true });
}

/** The lock of suites that install, rely on or remove the ServiceMonitor CRD. */
export const serviceMonitorCrdLock = "servicemonitor-crd";

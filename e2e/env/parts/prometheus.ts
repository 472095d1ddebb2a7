import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { aptInstall } from "../apt.ts";
import { ensureDir, readPid, startDaemon, stopDaemon, waitUntil } from "../daemon.ts";
import type { TestEnv } from "../../../testing/test-env.ts";
import { EnvError } from "../../../testing/env-error.ts";
import type { Part } from "../part.ts";
import { partDir } from "../../../testing/paths.ts";

const PORT = 59090;
const url = `http://127.0.0.1:${PORT}`;
const dir = partDir("prometheus");
const pidFile = join(dir, "prometheus.pid");
const logFile = join(dir, "prometheus.log");
const configFile = join(dir, "prometheus.yml");
export const targetsDir = join(dir, "targets");

// Tests add scrape targets by dropping JSON files into targetsDir (file-based
// service discovery), so parallel test files never rewrite each other's config.
// The config file itself may still be rewritten and reloaded via POST /-/reload.
const config = `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: file-sd
    file_sd_configs:
      - files: ["${targetsDir}/*.json"]
        refresh_interval: 1s
`;

async function binary(): Promise<string> {
  const bin = process.env.HERALD_PROMETHEUS ?? "/usr/bin/prometheus";
  if (!existsSync(bin)) await aptInstall("prometheus", ["prometheus"]);
  if (!existsSync(bin)) {
    throw new EnvError(
      "prometheus",
      `${bin} not found`,
      "apt-get install -y prometheus, or set HERALD_PROMETHEUS",
    );
  }
  return bin;
}

async function ready(): Promise<boolean> {
  const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
  return res.ok;
}

export const prometheusPart: Part<TestEnv["prometheus"]> = {
  name: "prometheus",
  async up() {
    await ensureDir(targetsDir);
    const facts = (pid: number) => ({ url, configFile, targetsDir, pid });
    const running = await readPid(pidFile);
    if (running && (await ready().catch(() => false))) return facts(running);

    const bin = await binary();
    await writeFile(configFile, config);
    const pid = await startDaemon({
      part: "prometheus",
      cmd: bin,
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${PORT}`,
        "--web.enable-lifecycle",
        "--storage.tsdb.retention.time=2h",
      ],
      pidFile,
      logFile,
    });
    await waitUntil({ part: "prometheus", logFile, pidFile }, "ready", ready, 60_000);
    return facts(pid);
  },
  async down() {
    await stopDaemon(pidFile);
  },
};

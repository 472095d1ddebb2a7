/**
 * `make e2e-kind`: the e2e scenarios against a kind cluster. Creates the cluster (or reuses
 * one of that name), builds both images and loads them into its node, installs the chart, runs
 * the scenarios with the kind provider, and deletes the cluster, after a failure or Ctrl-C too,
 * unless HERALD_KIND_KEEP=1. HERALD_KIND_CLUSTER names the cluster (herald-e2e).
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { chartDir } from "../chart/tools.ts";
import { EnvError } from "../../testing/env-error.ts";
import { repoRoot, stateDir } from "../../testing/paths.ts";
import { run } from "../../testing/run.ts";
import { buildImages } from "../images/build.ts";
import { runScenarios } from "../scenarios/run-scenarios.ts";
import {
  helmInstallArgs,
  kindCreateArgs,
  kindDeleteArgs,
  kindExportLogsArgs,
  kindLoadArgs,
} from "./commands.ts";
import { missingTools } from "./prerequisites.ts";
import { imageTag, kindContext, kindSettings } from "./settings.ts";

const logDir = join(stateDir, "kind");
const log = (line: string) => process.stderr.write(`make e2e-kind: ${line}\n`);

/** Set on Ctrl-C (or a CI cancel): no further step starts, teardown still runs. */
const interrupted = new AbortController();

async function step(what: string, command: string, args: string[], remedy: string) {
  interrupted.signal.throwIfAborted();
  log(what);
  return run(command, args, {
    cwd: repoRoot,
    part: command,
    remedy,
    logFile: join(logDir, `${command}.log`),
  });
}

async function ensureCluster(cluster: string): Promise<void> {
  const existing = await step(
    "listing kind clusters",
    "kind",
    ["get", "clusters"],
    "check that `kind get clusters` works",
  );
  if (existing.split("\n").some((line) => line.trim() === cluster)) {
    log(`reusing kind cluster ${cluster}`);
    return;
  }
  await step(
    `creating kind cluster ${cluster}`,
    "kind",
    kindCreateArgs(cluster),
    "check that docker can pull kind's node image",
  );
}

/** The scenarios in a child vitest with the kind provider; resolves its exit code. */
function runKindScenarios(cluster: string): Promise<number> {
  interrupted.signal.throwIfAborted();
  log("running the e2e scenarios with the kind provider");
  return runScenarios(join(import.meta.dirname, "vitest.config.ts"), {
    HERALD_E2E_PROVIDER: "kind",
    HERALD_KIND_CLUSTER: cluster,
  });
}

async function exportLogs(cluster: string): Promise<void> {
  const dir = join(logDir, "cluster");
  await run("kind", kindExportLogsArgs(cluster, dir), { part: "kind", remedy: "" }).then(
    () => log(`node and pod logs in ${dir}`),
    () => undefined, // no cluster to read them from
  );
}

async function main(): Promise<number> {
  const { cluster, keep } = kindSettings();
  const missing = await missingTools();
  if (missing.length > 0) {
    for (const line of missing) console.error(line);
    return 1;
  }
  // This run's logs only: CI uploads the directory when it fails.
  await rm(logDir, { recursive: true, force: true });
  await mkdir(logDir, { recursive: true });
  await step("checking the Docker daemon", "docker", ["info"], "start the Docker daemon");
  // The signal reaches the running child as well (same process group); it fails its step.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      log(`${signal}: stopping, then tearing down`);
      interrupted.abort(new Error(`${signal} received`));
    });
  }

  let passed = false;
  try {
    await ensureCluster(cluster);
    interrupted.signal.throwIfAborted();
    log(`building ${imageTag} images`);
    // Whoever runs kind pulls images from a registry anyway: no locally made base images.
    const built = await buildImages({ tag: imageTag, useLocalBases: false });
    for (const { image, seconds } of built.images) log(`${image} built in ${seconds.toFixed(0)} s`);
    await step(
      "loading the images into the node",
      "kind",
      kindLoadArgs(cluster),
      "check `docker images herald-*`",
    );
    await step(
      "installing the chart into herald-system",
      "helm",
      helmInstallArgs(cluster, chartDir),
      `kubectl --context ${kindContext(cluster)} -n herald-system describe pods`,
    );
    const code = await runKindScenarios(cluster);
    passed = code === 0;
    return code;
  } finally {
    if (!passed) await exportLogs(cluster);
    if (keep) {
      log(
        `kept kind cluster ${cluster} (context ${kindContext(cluster)}); delete it with: kind delete cluster --name ${cluster}`,
      );
    } else {
      await run("kind", kindDeleteArgs(cluster), { part: "kind", remedy: "" }).then(
        () => log(`deleted kind cluster ${cluster}`),
        (err: unknown) => log(`could not delete kind cluster ${cluster}: ${String(err)}`),
      );
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (interrupted.signal.aborted) console.error("make e2e-kind: interrupted");
    else console.error(err instanceof EnvError ? `make e2e-kind: ${err.message}` : err);
    process.exit(1);
  },
);

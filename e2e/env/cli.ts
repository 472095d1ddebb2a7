// `make env-up` / `make env-down`: the real servers every integration test uses.
import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { EnvError } from "../../testing/env-error.ts";
import { isAlive } from "./daemon.ts";
import { readTestEnv, writeTestEnv, type TestEnv } from "../../testing/test-env.ts";
import { cassandraPart } from "./parts/cassandra.ts";
import { certManagerPart } from "./parts/cert-manager.ts";
import { chromiumPart } from "./parts/chromium.ts";
import { etcdPart } from "./parts/etcd.ts";
import { kubePart } from "./parts/kube.ts";
import { nodePart } from "./parts/node/node.ts";
import { postgresPart } from "./parts/postgres.ts";
import { prometheusPart } from "./parts/prometheus.ts";
import { envFile } from "../../testing/paths.ts";

export async function envUp(): Promise<TestEnv> {
  const started = Date.now();
  const [postgres, prometheus, cassandra, [etcd, kube, certManager]] = await Promise.all([
    postgresPart.up(),
    prometheusPart.up(),
    cassandraPart.up(),
    etcdPart.up().then(async (etcd) => {
      const kube = await kubePart(etcd).up();
      return [etcd, kube, await certManagerPart(kube).up()] as const;
    }),
  ]);
  // Installed, not started, and after the others: two apt-get runs at once contend for its lock.
  await chromiumPart.up();
  const env: TestEnv = { postgres, prometheus, cassandra, etcd, kube, certManager };
  await writeTestEnv(env);
  console.error(
    `env-up: ready in ${((Date.now() - started) / 1000).toFixed(1)}s; facts in ${envFile}`,
  );
  return env;
}

export async function envDown(): Promise<void> {
  // cert-manager before the API server it watches, the API server before etcd,
  // so neither spins on a vanished backend.
  await certManagerPart({ kubeconfig: "" }).down();
  await kubePart({ url: "" }).down();
  await Promise.all([
    etcdPart.down(),
    postgresPart.down(),
    prometheusPart.down(),
    cassandraPart.down(),
  ]);
  await rm(envFile, { force: true });
  console.error("env-down: every service stopped");
}

/**
 * Run a command inside the test environment. An environment that was already
 * running is left running (fast local loops); one started here is stopped
 * afterwards, so CI leaves no process behind. HERALD_KEEP_ENV=1 keeps it.
 */
async function runWithEnv(command: string[]): Promise<number> {
  const [cmd, ...args] = command;
  if (!cmd) throw new EnvError("env", "`run` needs a command", "use: cli.ts run -- <command...>");
  const before = await readTestEnv();
  const wasRunning =
    before !== undefined && isAlive(before.postgres.pid) && isAlive(before.kube.apiServerPid);
  await envUp();
  const child = spawn(cmd, args, { stdio: "inherit" });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on("SIGINT", forward).on("SIGTERM", forward);
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  if (!wasRunning && process.env.HERALD_KEEP_ENV !== "1") await envDown();
  return code;
}

async function main(command: string | undefined, rest: string[]): Promise<number> {
  if (command === "up") await envUp();
  else if (command === "down") await envDown();
  // The node lane's own cluster (e2e/env/README.md); independent of up/down.
  else if (command === "node-up") console.log(JSON.stringify(await nodePart().up(), null, 2));
  else if (command === "node-down") await nodePart().down();
  else if (command === "run") return runWithEnv(rest[0] === "--" ? rest.slice(1) : rest);
  else
    throw new EnvError(
      "env",
      `unknown command ${String(command)}`,
      "use `up`, `down`, `node-up`, `node-down` or `run -- <command>`",
    );
  return 0;
}

if (import.meta.main) {
  main(process.argv[2], process.argv.slice(3)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof EnvError ? err.message : err);
      process.exit(1);
    },
  );
}

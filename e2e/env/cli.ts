// `make env-up` / `make env-down`: the real servers every integration test uses.
import { rm } from "node:fs/promises";
import { EnvError } from "./env-error.ts";
import { writeTestEnv, type TestEnv } from "./env-file.ts";
import { cassandraPart } from "./parts/cassandra.ts";
import { etcdPart } from "./parts/etcd.ts";
import { kubePart } from "./parts/kube.ts";
import { postgresPart } from "./parts/postgres.ts";
import { prometheusPart } from "./parts/prometheus.ts";
import { envFile } from "./paths.ts";

export async function envUp(): Promise<TestEnv> {
  const started = Date.now();
  const [postgres, prometheus, cassandra, [etcd, kube]] = await Promise.all([
    postgresPart.up(),
    prometheusPart.up(),
    cassandraPart.up(),
    etcdPart.up().then(async (etcd) => [etcd, await kubePart(etcd).up()] as const),
  ]);
  const env: TestEnv = { postgres, prometheus, cassandra, etcd, kube };
  await writeTestEnv(env);
  console.error(`env-up: ready in ${((Date.now() - started) / 1000).toFixed(1)}s; facts in ${envFile}`);
  return env;
}

export async function envDown(): Promise<void> {
  // The API server before etcd, so it does not spin on a vanished backend.
  await kubePart({ url: "" }).down();
  await Promise.all([etcdPart.down(), postgresPart.down(), prometheusPart.down(), cassandraPart.down()]);
  await rm(envFile, { force: true });
  console.error("env-down: every service stopped");
}

async function main(command: string | undefined): Promise<void> {
  if (command === "up") await envUp();
  else if (command === "down") await envDown();
  else throw new EnvError("env", `unknown command ${String(command)}`, "use `up` or `down`");
}

if (import.meta.main) {
  main(process.argv[2]).catch((err: unknown) => {
    console.error(err instanceof EnvError ? err.message : err);
    process.exit(1);
  });
}

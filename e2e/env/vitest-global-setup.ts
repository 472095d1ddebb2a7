import type { TestProject } from "vitest/node";
import { envUp } from "./cli.ts";
import { isAlive } from "./daemon.ts";
import { readTestEnv, type TestEnv } from "../../testing/test-env.ts";

declare module "vitest" {
  export interface ProvidedContext {
    testEnv: TestEnv;
  }
}

function pids(env: TestEnv): number[] {
  const { postgres, cassandra, etcd, kube, prometheus, certManager } = env;
  return [
    postgres.pid,
    cassandra.pid,
    etcd.pid,
    kube.apiServerPid,
    kube.controllerManagerPid,
    prometheus.pid,
    certManager.pid,
  ];
}

/** Reuse the running test environment (`make env-up`), or start one. */
export default async function setup(project: TestProject): Promise<void> {
  const current = await readTestEnv();
  const env = current && pids(current).every(isAlive) ? current : await envUp();
  project.provide("testEnv", env);
}

/**
 * The local provider: the test environment's API server and PostgreSQL, the process kubelet
 * running the brokers on 127.0.10.x, and the operator as a process of this checkout, under a
 * ServiceAccount holding only its generated RBAC.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { pino } from "pino";
import { operatorFixture } from "../../operator/test/operator-fixture.ts";
import type { TestEnv } from "../../testing/test-env.ts";
import { repoRoot, stateDir } from "../../testing/paths.ts";
import { startProcessKubelet } from "../kubelet/kubelet.ts";
import type { Provider } from "../scenarios/provider.ts";
import { kubectlRunner } from "./kubectl.ts";
import { apply } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";

const grpcPort = 50051;

export async function startLocalProvider(env: TestEnv): Promise<Provider> {
  const fixture = await operatorFixture(env, "e2e");
  const namespace = fixture.namespace;
  const database = `herald_e2e_${randomBytes(3).toString("hex")}`;
  const url = new URL(env.postgres.url);
  const admin = new pg.Client({ connectionString: env.postgres.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  await apply(fixture.cluster, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "postgres", namespace },
    type: "kubernetes.io/basic-auth",
    // The test environment's PostgreSQL trusts loopback clients.
    stringData: { username: decodeURIComponent(url.username) || "postgres", password: "e2e" },
  } as never);
  const kubelet = await startProcessKubelet({
    kubeconfig: env.kube.kubeconfig,
    repoRoot,
    nodeName: `e2e-${randomBytes(3).toString("hex")}`,
    logDir: join(stateDir, "e2e", namespace),
    namespaces: [namespace],
    stopGraceMs: 10_000,
    logger: pino({ level: "warn" }),
  });
  let operator = fixture.startOperator("operator-e2e");
  let restarts = 0;

  const kubectlIn = kubectlRunner(env.kube.kubectl, ["--kubeconfig", env.kube.kubeconfig]);
  const kubectl = (args: readonly string[], stdin?: string) => kubectlIn(namespace, args, stdin);

  return {
    name: "local",
    namespace,
    kubectl,
    async podAddress(pod) {
      const ip = (await kubectl(["get", "pod", pod, "-o", "jsonpath={.status.podIP}"])).trim();
      if (!ip) throw new Error(`pod ${pod} has no IP yet`);
      return `${ip}:${grpcPort}`;
    },
    async killOperator() {
      await operator.kill();
      // The new one waits out the killed one's unreleased lease, as a rescheduled pod would.
      operator = fixture.startOperator(`operator-e2e-${++restarts}`);
    },
    postgres: {
      host: url.hostname,
      port: Number(url.port || 5432),
      database,
      credentialsSecret: "postgres",
    },
    async stop() {
      // Pods still present need the kubelet to finish their deletion.
      await kubectl(["delete", "messagebrokers", "--all", "--wait=false"]).catch(() => "");
      await until("the broker pods gone", () => kubelet.pods().length === 0, {
        timeoutMs: 60_000,
        intervalMs: 200,
      }).catch(() => undefined);
      await kubelet.stop();
      await fixture.teardown();
      const client = new pg.Client({ connectionString: env.postgres.url });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await client.end();
    },
  };
}

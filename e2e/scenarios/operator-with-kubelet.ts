/**
 * The operator's orchestration scenarios run on: the test environment's API server, a process
 * kubelet running the brokers of one namespace, and a database of their own on the test
 * environment's PostgreSQL (scaling-steps, workers). The caller starts the operator(s).
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { pino } from "pino";
import type { MessageBrokerSpecInput } from "../../operator/api/v1alpha1/index.ts";
import { operatorFixture, type OperatorFixture } from "../../operator/test/operator-fixture.ts";
import { apply } from "../../testing/kube-cluster.ts";
import { repoRoot, stateDir } from "../../testing/paths.ts";
import type { TestEnv } from "../../testing/test-env.ts";
import { until } from "../../testing/until.ts";
import { testPostgresSecret, testPostgresStorage } from "../dev/sample.ts";
import { startProcessKubelet, type ProcessKubelet } from "../kubelet/kubelet.ts";

export interface OperatorWithKubelet {
  fixture: OperatorFixture;
  kubelet: ProcessKubelet;
  /** spec.storage of a broker on the scenario's database, through the Secret `db`. */
  storage: MessageBrokerSpecInput["storage"];
  /**
   * Deletes MessageBroker `name`, waits for the kubelet to end its pods, stops the kubelet and
   * the operators, and drops the database.
   */
  teardown(name: string): Promise<void>;
}

export async function operatorWithKubelet(
  env: TestEnv,
  prefix: string,
): Promise<OperatorWithKubelet> {
  const fixture = await operatorFixture(env, prefix);
  const database = `herald_${prefix}_${randomBytes(3).toString("hex")}`;
  const sql = async (statement: string) => {
    const client = new pg.Client({ connectionString: env.postgres.url });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await sql(`CREATE DATABASE "${database}"`);
  const url = new URL(env.postgres.url);
  await apply(fixture.cluster, testPostgresSecret(url, "db", fixture.namespace));
  const kubelet = await startProcessKubelet({
    kubeconfig: env.kube.kubeconfig,
    repoRoot,
    nodeName: `${prefix}-${randomBytes(3).toString("hex")}`,
    logDir: join(stateDir, prefix),
    namespaces: [fixture.namespace],
    stopGraceMs: 10_000,
    logger: pino({ level: "warn" }),
  });
  return {
    fixture,
    kubelet,
    storage: testPostgresStorage(url, database, "db"),
    async teardown(name) {
      await fixture.cluster.objects
        .delete({
          apiVersion: "herald.dev/v1alpha1",
          kind: "MessageBroker",
          metadata: { name, namespace: fixture.namespace },
        })
        .catch(() => undefined);
      // The kubelet finishes the pods' graceful deletion; stop it only once they are gone.
      await until("broker pods gone", () => kubelet.pods().length === 0, {
        timeoutMs: 60_000,
      }).catch(() => undefined);
      await kubelet.stop();
      await fixture.teardown();
      await sql(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    },
  };
}

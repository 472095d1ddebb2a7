/**
 * `make e2e-node`: the e2e scenarios on the node lane's cluster of real components
 * (e2e/env/parts/node). Builds the broker, operator, PostgreSQL and Cassandra images, brings the node up
 * with them imported, installs the chart (the operator runs as a pod with in-cluster config),
 * runs the scenarios with the node provider, and takes the node down, after a failure or
 * Ctrl-C too, unless HERALD_NODE_KEEP=1.
 */
import { join } from "node:path";
import { chartDir } from "../chart/tools.ts";
import { nodePart, type NodeFacts } from "../env/parts/node/node.ts";
import { EnvError } from "../../testing/env-error.ts";
import { stateDir } from "../../testing/paths.ts";
import { run } from "../../testing/run.ts";
import { buildImages } from "../images/build.ts";
import { ensureEngine } from "../images/engine.ts";
import { helmImageValues } from "../kind/commands.ts";
import { runScenarios } from "../scenarios/run-scenarios.ts";
import { exportClusterLogs } from "./cluster-logs.ts";
import { buildCassandraImage } from "./cassandra-image.ts";
import { buildPostgresImage } from "./postgres-image.ts";
import {
  cassandraImage,
  imageTag,
  keepCluster,
  nodeImages,
  operatorRelease,
  postgresImage,
} from "./settings.ts";

const log = (line: string) => process.stderr.write(`make e2e-node: ${line}\n`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Set on Ctrl-C (or a CI cancel): no further step starts, teardown still runs. */
const interrupted = new AbortController();

async function images(): Promise<void> {
  const started = performance.now();
  const engine = await ensureEngine();
  try {
    const built = await buildImages({ tag: imageTag });
    for (const { image, seconds: s } of built.images) log(`${image} built in ${s.toFixed(0)} s`);
    const postgres = performance.now();
    log(`${await buildPostgresImage()} built in ${seconds(postgres)}`);
    const cassandra = performance.now();
    log(`${await buildCassandraImage()} built in ${seconds(cassandra)}`);
  } finally {
    await engine.stop();
  }
  log(`images ready in ${seconds(started)}`);
}

function runNodeScenarios(facts: NodeFacts): Promise<number> {
  interrupted.signal.throwIfAborted();
  log("running the e2e scenarios with the node provider");
  return runScenarios(join(import.meta.dirname, "vitest.config.ts"), {
    HERALD_E2E_PROVIDER: "node",
    HERALD_NODE_KUBECONFIG: facts.kubeconfig,
    HERALD_NODE_KUBECTL: facts.kubectl,
  });
}

async function main(): Promise<number> {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      log(`${signal}: stopping, then tearing down`);
      interrupted.abort(new Error(`${signal} received`));
    });
  }
  const node = nodePart({ images: nodeImages });
  let facts: NodeFacts | undefined;
  let passed = false;
  try {
    await images();
    interrupted.signal.throwIfAborted();
    const started = performance.now();
    facts = await node.up();
    log(`node ${facts.nodeName} Ready with DNS and storage in ${seconds(started)}`);
    interrupted.signal.throwIfAborted();
    const helm = performance.now();
    await run(
      facts.helm,
      [
        "upgrade",
        "--install",
        operatorRelease.name,
        chartDir,
        "--kubeconfig",
        facts.kubeconfig,
        "--namespace",
        operatorRelease.namespace,
        "--create-namespace",
        ...helmImageValues(),
        `--set-string=images.postgres=${postgresImage.repository}`,
        `--set-string=images.cassandra=${cassandraImage.repository}`,
        "--wait",
        "--timeout",
        "5m",
      ],
      {
        part: "helm",
        remedy: `kubectl --kubeconfig ${facts.kubeconfig} -n ${operatorRelease.namespace} describe pods`,
      },
    );
    log(`chart installed, operator pod Ready, in ${seconds(helm)}`);
    const code = await runNodeScenarios(facts);
    passed = code === 0;
    return code;
  } finally {
    if (!passed && facts) {
      const dir = join(stateDir, "node", "cluster-logs");
      await exportClusterLogs(facts.kubectl, facts.kubeconfig, dir).then(
        () => log(`pod logs, pods and events in ${dir}`),
        (err: unknown) => log(`could not export the cluster's logs: ${String(err)}`),
      );
    }
    if (keepCluster()) {
      log("kept the node (HERALD_NODE_KEEP=1); stop it with: node e2e/env/cli.ts node-down");
    } else {
      await node.down().then(
        () => log("node down"),
        (err: unknown) => log(`could not take the node down: ${String(err)}`),
      );
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (interrupted.signal.aborted) console.error("make e2e-node: interrupted");
    else console.error(err instanceof EnvError ? `make e2e-node: ${err.message}` : err);
    process.exit(1);
  },
);

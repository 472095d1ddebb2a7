// `node e2e/kubelet/main.ts`: the process kubelet against the test environment's API server,
// until Ctrl-C (which stops every broker process and marks the node NotReady).
import { Command, Option } from "commander";
import { join } from "node:path";
import { pino } from "pino";
import { readTestEnv } from "../../testing/test-env.ts";
import { repoRoot, stateDir } from "../../testing/paths.ts";
import { startProcessKubelet } from "./kubelet.ts";

const program = new Command("process-kubelet")
  .description("Runs the pods of Herald broker StatefulSets as local processes of this checkout")
  .option("--kubeconfig <path>", "kubeconfig of the API server (default: the test environment's)")
  .option("--node-name <name>", "name of the Node to register", "herald-local")
  .option("--namespace <namespace...>", "watch only these namespaces (default: all)")
  .option("--log-dir <dir>", "where pod logs and volumes go", join(stateDir, "kubelet"))
  .option("--delete-node-on-stop", "delete the Node on exit instead of marking it NotReady")
  .addOption(
    new Option("--log-level <level>", "kubelet log level")
      .choices(["debug", "info", "warn", "error"])
      .default("info"),
  );

interface CliOptions {
  kubeconfig?: string;
  nodeName: string;
  namespace?: string[];
  logDir: string;
  deleteNodeOnStop?: boolean;
  logLevel: string;
}

async function main(): Promise<void> {
  const options = program.parse().opts<CliOptions>();
  const kubeconfig = options.kubeconfig ?? (await readTestEnv())?.kube.kubeconfig;
  if (!kubeconfig) {
    console.error("process-kubelet: no kubeconfig: run `make env-up` or pass --kubeconfig");
    process.exit(2);
  }
  const kubelet = await startProcessKubelet({
    kubeconfig,
    repoRoot,
    nodeName: options.nodeName,
    logDir: options.logDir,
    namespaces: options.namespace,
    deleteNodeOnStop: options.deleteNodeOnStop ?? false,
    logger: pino({ level: options.logLevel }),
  });
  console.error(`process-kubelet: node ${kubelet.nodeName} ready; pod logs in ${options.logDir}`);
  const stop = (signal: NodeJS.Signals) => {
    console.error(`process-kubelet: ${signal}: stopping every pod process`);
    kubelet.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error("process-kubelet: stop failed:", err);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop).once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error("process-kubelet:", err instanceof Error ? err.message : err);
  process.exit(1);
});

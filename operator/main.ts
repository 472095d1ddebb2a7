/**
 * The operator process: configuration from env, informers, leader election, reconcilers and
 * the /metrics, /healthz and /readyz endpoints; SIGTERM or SIGINT drains and releases the lease.
 */
import { createLogger } from "../lib/process/logger.ts";
import { drainOnSignals } from "../lib/process/shutdown.ts";
import { loadConfig, type OperatorConfig } from "./process/config.ts";
import { EnvError } from "../lib/process/env.ts";
import { loadKubeConfig } from "./process/kube-config.ts";
import { startOperator } from "./process/operator.ts";

/** Exit code for a configuration error, distinct from a crash. */
const configErrorExitCode = 2;
/** Longer than any reconcile, shorter than the pod's terminationGracePeriodSeconds (30 s). */
const shutdownGraceMs = 25_000;

function readConfig(): OperatorConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(configErrorExitCode);
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const log = createLogger("herald-operator", config.HERALD_LOG_LEVEL);
  const operator = await startOperator({
    config,
    kubeConfig: loadKubeConfig(),
    log,
    // Like controller-runtime: another replica leads now, so stop at once.
    onLostLeadership: () => process.exit(1),
  });

  drainOnSignals({ log, graceMs: shutdownGraceMs, drain: () => operator.stop() });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `herald operator failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});

/**
 * The operator process: configuration from env, informers, leader election, reconcilers and
 * the /metrics, /healthz and /readyz endpoints; SIGTERM or SIGINT drains and releases the lease.
 */
import { createLogger } from "../lib/process/logger.ts";
import { drainOnSignals } from "../lib/process/shutdown.ts";
import { loadConfig } from "./process/config.ts";
import { EnvError } from "../lib/process/env.ts";
import { asEnvError } from "../lib/process/listen.ts";
import { loadKubeConfig } from "./process/kube-config.ts";
import { startOperator } from "./process/operator.ts";

/** Exit code of a failed startup (a bad variable, an unbindable address), distinct from a crash. */
const startupErrorExitCode = 2;
/** Longer than any reconcile, shorter than the pod's terminationGracePeriodSeconds (30 s). */
const shutdownGraceMs = 25_000;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger("herald-operator", config.HERALD_LOG_LEVEL);
  const operator = await startOperator({
    config,
    kubeConfig: loadKubeConfig(),
    log,
    // Like controller-runtime: another replica leads now, so stop at once.
    onLostLeadership: () => process.exit(1),
  }).catch(asEnvError("HERALD_HTTP_ADDR"));

  drainOnSignals({ log, graceMs: shutdownGraceMs, drain: () => operator.stop() });
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  const line = err instanceof EnvError ? message : `herald operator failed to start: ${message}`;
  process.stderr.write(`${line.replace(/\s*\n\s*/g, " ")}\n`);
  process.exit(startupErrorExitCode);
});

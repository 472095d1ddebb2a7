/**
 * The broker process: configuration from env, store, gRPC and HTTP servers,
 * and a graceful drain on SIGTERM/SIGINT (docs/architecture.md).
 */
// First: starts the OpenTelemetry SDK when OTEL_* configure an endpoint, whatever launched this file
// (`node --import …/telemetry/register.ts` loads it even earlier; it runs once either way).
import "./telemetry/register.ts";
import { startBroker } from "./broker.ts";
import { KubeMembershipSource } from "./cluster/membership/kube-source.ts";
import type { MembershipSource } from "./cluster/membership/membership.ts";
import { StaticMembershipSource } from "./cluster/membership/static-source.ts";
import { type BrokerConfig, loadConfig } from "./config.ts";
import { unknownBrokerVariables } from "../contract/broker-env.ts";
import { EnvError } from "../lib/process/env.ts";
import { startHttpServer } from "../lib/process/http-server.ts";
import { createLogger, type Logger } from "../lib/process/logger.ts";
import { createMetricsRegistry } from "./metrics.ts";
import { drainOnSignals } from "../lib/process/shutdown.ts";
import { shutdownTracing, tracingEnabled } from "./telemetry/tracing.ts";
import { createStore } from "./store/create-store.ts";

/** Exit code for a configuration error, distinct from a crash. */
const configErrorExitCode = 2;

function readConfig(): BrokerConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(configErrorExitCode);
  }
}

/** The membership ConfigMap on Kubernetes, HERALD_CLUSTER_MEMBERS, or (undefined) this broker alone. */
function membershipSource(config: BrokerConfig, logger: Logger): MembershipSource | undefined {
  const { membership } = config.cluster;
  if (membership.kind === "kubernetes") {
    return new KubeMembershipSource({
      namespace: membership.namespace,
      configMapName: membership.configMap,
      logger,
    });
  }
  return membership.members === undefined
    ? undefined
    : new StaticMembershipSource(membership.members);
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger("herald-broker", config.logLevel);
  const unknown = unknownBrokerVariables(process.env);
  if (unknown.length > 0) {
    // A newer operator may render settings this broker image predates; they must not stop it.
    logger.warn({ variables: unknown }, `ignoring unknown variables: ${unknown.join(", ")}`);
  }
  const registry = createMetricsRegistry();

  const store = await createStore(config.store, logger);
  const broker = await startBroker({
    settings: config,
    store,
    logger,
    registry,
    membership: membershipSource(config, logger),
  });
  const http = await startHttpServer({
    address: config.httpAddress,
    ready: () => broker.ready(),
    registry,
    cluster: () => broker.cluster(),
  });
  logger.info({ port: http.port, tracing: tracingEnabled() }, "http listening");

  drainOnSignals({
    log: logger,
    graceMs: config.shutdownGraceMs + 5_000,
    drain: async () => {
      await broker.shutdown();
      await new Promise<void>((resolve) => http.server.close(() => resolve()));
      // Export the spans still buffered (bounded by the exporter's own timeout).
      await shutdownTracing().catch((err: unknown) =>
        logger.warn({ err }, "could not export the last spans"),
      );
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `herald broker failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});

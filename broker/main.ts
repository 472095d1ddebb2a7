/**
 * The broker process: configuration from env, store, gRPC and HTTP servers,
 * and a graceful drain on SIGTERM/SIGINT (docs/architecture.md).
 */
// First: starts the OpenTelemetry SDK when OTEL_* configure an endpoint, whatever launched this file
// (`node --import …/telemetry/register.ts` loads it even earlier; it runs once either way).
import "./telemetry/register.ts";
import { setLogger as setGrpcLogger } from "@grpc/grpc-js";
import { AggregatorRegistry } from "prom-client";
import { startBroker } from "./broker.ts";
import { KubeMembershipSource } from "./cluster/membership/kube-source.ts";
import type { MembershipSource } from "./cluster/membership/membership.ts";
import { StaticMembershipSource } from "./cluster/membership/static-source.ts";
import { type BrokerConfig, loadConfig } from "./config.ts";
import { unknownBrokerVariables } from "../contract/broker-env.ts";
import { EnvError } from "../lib/process/env.ts";
import { startHttpServer } from "../lib/process/http-server.ts";
import { asEnvError } from "../lib/process/listen.ts";
import { createLogger, type Logger } from "../lib/process/logger.ts";
import { createMetricsRegistry } from "./metrics.ts";
import { drainOnSignals } from "../lib/process/shutdown.ts";
import { shutdownTracing, tracingEnabled } from "./telemetry/tracing.ts";
import { createStore } from "./store/create-store.ts";
import { consoleBuildDir } from "./web/console-build-dir.ts";
import { startWebGateway } from "./web/gateway.ts";
import { runPrimary } from "./workers/primary.ts";
import { linkToPrimary, type PrimaryChannel } from "./workers/primary-link.ts";
import { workerConfig } from "./workers/worker-config.ts";

/** Exit code of a failed startup (a bad variable, an unbindable address), distinct from a crash. */
const startupErrorExitCode = 2;

/** grpc-js's own messages (a failed bind, a lost peer) as JSON log lines, not free text on stderr. */
function routeGrpcLogs(logger: Logger): void {
  const line =
    (level: "warn" | "info" | "debug") =>
    (...args: unknown[]) =>
      logger[level]({ source: "grpc-js" }, args.map(String).join(" "));
  setGrpcLogger({ error: line("warn"), info: line("info"), debug: line("debug") });
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

/** This process serving as the whole broker, or as one worker of a pod running several. */
async function runBroker(config: BrokerConfig, podLogger: Logger): Promise<void> {
  const { index } = config.workers;
  // A worker's channel to its primary, checked before anything starts.
  const worker = index === undefined ? undefined : { index, primary: primaryChannel() };
  const settings = worker === undefined ? config : workerConfig(config, worker.index);
  const logger = worker === undefined ? podLogger : podLogger.child({ worker: worker.index });
  const registry = createMetricsRegistry();
  if (worker !== undefined) {
    // The primary gathers every worker's metrics; the label keeps each worker's series apart.
    registry.setDefaultLabels({ worker: String(worker.index) });
    AggregatorRegistry.setRegistries([registry]);
    // prom-client installs a worker's answer to the primary's requests when one is constructed.
    new AggregatorRegistry();
  }

  const store = await createStore(config.store, logger);
  const broker = await startBroker({
    settings,
    store,
    logger,
    registry,
    membership: membershipSource(settings, logger),
  }).catch(asEnvError("HERALD_GRPC_ADDR"));
  const http =
    worker === undefined
      ? await startHttpServer({
          address: config.httpAddress,
          ready: () => broker.ready(),
          notReadyReason: () => broker.notReadyReason(),
          registry,
          cluster: () => broker.cluster(),
        }).catch(asEnvError("HERALD_HTTP_ADDR"))
      : undefined;
  if (http !== undefined)
    logger.info({ port: http.port, tracing: tracingEnabled() }, "http listening");
  const link =
    worker === undefined
      ? undefined
      : linkToPrimary(worker.index, broker, worker.primary, () =>
          process.kill(process.pid, "SIGTERM"),
        );
  const web =
    config.web === undefined
      ? undefined
      : await startWebGateway({
          ...config.web,
          handlers: broker.service,
          console: broker.console,
          consoleDir: consoleBuildDir(),
          maxMessageBytes: config.maxMessageBytes,
          tls:
            config.security.tls === undefined
              ? undefined
              : { files: config.security.tls, reloadIntervalMs: config.security.reloadIntervalMs },
          logger,
        }).catch(asEnvError("HERALD_WEB_ADDR"));
  if (web !== undefined) logger.info({ port: web.port }, "web gateway listening");

  drainOnSignals({
    log: logger,
    graceMs: config.shutdownGraceMs + 5_000,
    drain: async () => {
      await broker.shutdown();
      // After the broker: its drain ended the gateway's streams with UNAVAILABLE.
      await web?.close();
      link?.stop();
      if (http !== undefined)
        await new Promise<void>((resolve) => http.server.close(() => resolve()));
      // Export the spans still buffered (bounded by the exporter's own timeout).
      await shutdownTracing().catch((err: unknown) =>
        logger.warn({ err }, "could not export the last spans"),
      );
    },
  });
}

/** The channel to the primary that started this worker; a worker started by hand has none. */
function primaryChannel(): PrimaryChannel {
  if (process.send === undefined) {
    throw new EnvError(
      "HERALD_WORKER_INDEX",
      "is set by the broker on the workers it starts, not by hand",
    );
  }
  return {
    get connected() {
      return process.connected;
    },
    send: (message) => {
      process.send?.(message);
    },
    once: (event, listener) => process.once(event, listener),
  };
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger("herald-broker", config.logLevel);
  routeGrpcLogs(logger);
  const unknown = unknownBrokerVariables(process.env);
  if (unknown.length > 0 && config.workers.index === undefined) {
    // A newer operator may render settings this broker image predates; they must not stop it.
    logger.warn({ variables: unknown }, `ignoring unknown variables: ${unknown.join(", ")}`);
  }
  if (config.workers.count > 1 && config.workers.index === undefined) {
    await runPrimary(config, logger, (code) => process.exit(code));
    return;
  }
  await runBroker(config, logger);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  const line = err instanceof EnvError ? message : `herald broker failed to start: ${message}`;
  process.stderr.write(`${line.replace(/\s*\n\s*/g, " ")}\n`);
  process.exit(startupErrorExitCode);
});

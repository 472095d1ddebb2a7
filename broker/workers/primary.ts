/**
 * The primary of a pod running several workers (docs/architecture.md#workers): it starts one
 * broker process per worker, restarts a worker that dies, answers the pod's HTTP endpoints for all
 * of them, and on SIGTERM drains them all before it exits. It serves no gRPC itself.
 */
import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, Counter, type PrometheusContentType, Registry } from "prom-client";
import { startHttpServer } from "../../lib/process/http-server.ts";
import { asEnvError } from "../../lib/process/listen.ts";
import type { Logger } from "../../lib/process/logger.ts";
import { drainOnSignals } from "../../lib/process/shutdown.ts";
import type { BrokerConfig } from "../config.ts";
import {
  podClusterSnapshot,
  podNotReadyReason,
  type WorkerStatus,
  workerStatusSchema,
} from "./worker-status.ts";

/** A worker that failed to start (bad settings, a port taken) fails the pod: a restart won't help. */
const startupErrorExitCode = 2;
/** More restarts than this within the window end the pod, so the kubelet's back-off takes over. */
const restartBudget = { count: 5, windowMs: 60_000 };
const restartDelayMs = 1000;

export async function runPrimary(
  config: BrokerConfig,
  logger: Logger,
  fail: (code: number) => void,
): Promise<void> {
  const { count } = config.workers;
  const statuses: (WorkerStatus | undefined)[] = Array.from({ length: count }, () => undefined);
  const workers = new Map<number, Worker>();
  const restarts: number[] = [];
  let stopping = false;

  const ownMetrics = new Registry();
  const workerRestarts = new Counter({
    name: "herald_worker_restarts_total",
    help: "Workers of this pod started again after they exited.",
    registers: [ownMetrics],
  });
  const aggregated = new AggregatorRegistry<PrometheusContentType>();

  const start = (index: number) => {
    const worker = cluster.fork({ HERALD_WORKER_INDEX: String(index) });
    workers.set(index, worker);
    logger.info({ worker: index, pid: worker.process.pid }, "worker started");
    worker.on("message", (message: unknown) => {
      const status = workerStatusSchema.safeParse(message);
      if (status.success && status.data.index === index) statuses[index] = status.data;
    });
    worker.once("exit", (code, signal) => {
      workers.delete(index);
      const reported = statuses[index] !== undefined;
      statuses[index] = undefined;
      if (stopping) return;
      logger.error({ worker: index, code, signal }, "worker exited");
      if (!reported && code === startupErrorExitCode) return stopAll(startupErrorExitCode);
      const now = Date.now();
      restarts.push(now);
      while ((restarts[0] ?? now) < now - restartBudget.windowMs) restarts.shift();
      if (restarts.length > restartBudget.count) {
        logger.error({ restarts: restarts.length }, "workers keep exiting; stopping the pod");
        return stopAll(1);
      }
      workerRestarts.inc();
      setTimeout(() => {
        if (!stopping) start(index);
      }, restartDelayMs);
    });
  };

  const exited = (worker: Worker) =>
    new Promise<void>((resolve) => {
      if (worker.isDead()) resolve();
      else worker.once("exit", () => resolve());
    });
  const stopWorkers = async () => {
    stopping = true;
    const running = [...workers.values()];
    for (const worker of running) worker.process.kill("SIGTERM");
    await Promise.all(running.map(exited));
  };
  const stopAll = (code: number) => {
    void stopWorkers().then(() => fail(code));
  };

  const http = await startHttpServer({
    address: config.httpAddress,
    ready: () => podNotReadyReason(statuses) === undefined,
    notReadyReason: () => podNotReadyReason(statuses),
    registry: {
      contentType: aggregated.contentType,
      metrics: async () => `${await aggregated.clusterMetrics()}\n${await ownMetrics.metrics()}`,
    },
    cluster: () => podClusterSnapshot(config.cluster.self, statuses),
  }).catch(asEnvError("HERALD_HTTP_ADDR"));
  logger.info({ port: http.port, workers: count }, "http listening");
  for (let index = 0; index < count; index += 1) start(index);

  drainOnSignals({
    log: logger,
    // Each worker's own drain is bounded by this grace plus its margin; the primary outlasts it.
    graceMs: config.shutdownGraceMs + 10_000,
    drain: async () => {
      await stopWorkers();
      await new Promise<void>((resolve) => http.server.close(() => resolve()));
    },
  });
}

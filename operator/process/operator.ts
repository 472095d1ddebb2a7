import { brokerEpochReader } from "../scaling/epochs.ts";
import { podReadinessReader } from "../scaling/pod-readiness.ts";
import { podWorkersReader } from "../scaling/pod-workers.ts";
import { brokerStoreHealthReader } from "../status/store-health.ts";
import { KubernetesObjectApi, type KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { Controller } from "../controller/controller.ts";
import { reconcile } from "../controller/reconcile.ts";
import { WorkQueue } from "../../lib/kube/work-queue.ts";
import { eventRecorder } from "../kube/event-recorder.ts";
import { Informers } from "../kube/informers.ts";
import { LeaderElector, leaseClient } from "../../lib/kube/leader-election.ts";
import { clusterWriter } from "../kube/writer.ts";
// The broker serves the same three endpoints; one implementation serves both programs.
import { startHttpServer } from "../../lib/process/http-server.ts";
import type { OperatorConfig } from "./config.ts";
import {
  fetchServiceAccountIssuer,
  serviceAccountIssuerReader,
} from "../users/service-account-issuer.ts";
import { userStatusWriter } from "../users/status-writer.ts";
import { brokerUsers } from "../users/sync.ts";
import { defaultLeaseNamespace } from "./kube-config.ts";
import { operatorMetrics } from "./metrics.ts";

/** The label every child carries (render/metadata.ts), so caches hold Herald's objects only. */
const childLabelSelector = "app.kubernetes.io/managed-by=herald-operator";

export interface RunningOperator {
  httpPort: number;
  /** Stops reconciling (finishing reconciles under way), stops the informers, releases the lease. */
  stop(): Promise<void>;
}

/**
 * Wires the operator: informers and HTTP start at once (so /readyz reports cache sync on every
 * replica); reconcilers start only once this replica leads and the caches are synced.
 * `onLostLeadership` must end the process: another replica already reconciles.
 */
export async function startOperator(options: {
  config: OperatorConfig;
  kubeConfig: KubeConfig;
  log: Logger;
  onLostLeadership: () => void;
}): Promise<RunningOperator> {
  const { config, kubeConfig, log } = options;
  const queue = new WorkQueue();
  const informers = new Informers({
    kubeConfig,
    objects: KubernetesObjectApi.makeApiClient(kubeConfig),
    namespaces: config.WATCH_NAMESPACE,
    childLabelSelector,
    enqueue: (key) => queue.add(key),
    log,
  });
  const metrics = operatorMetrics({
    queueDepth: () => queue.depth,
    managedBrokers: () => informers.brokers.list().length,
  });
  const http = await startHttpServer({
    address: config.HERALD_HTTP_ADDR,
    ready: () => informers.synced,
    notReadyReason: () => "informer caches not synced yet",
    registry: metrics.registry,
  });
  log.info({ port: http.port, namespaces: config.WATCH_NAMESPACE }, "operator http listening");

  const writer = clusterWriter(kubeConfig);
  const deps = {
    cache: informers,
    writer,
    epochs: brokerEpochReader(kubeConfig),
    podReadiness: podReadinessReader(kubeConfig),
    podWorkers: podWorkersReader(kubeConfig),
    storeHealth: brokerStoreHealthReader(kubeConfig),
    scalingStallAfterMs: config.HERALD_SCALING_STALL_AFTER_SECONDS * 1000,
    events: eventRecorder(kubeConfig, config.POD_NAME, log),
    users: brokerUsers({
      users: (namespace) => informers.users.list(namespace),
      secret: (namespace, name) => informers.child("v1 Secret", namespace, name),
      writer,
      writeStatus: userStatusWriter(kubeConfig),
      issuer: serviceAccountIssuerReader(() => fetchServiceAccountIssuer(kubeConfig)),
      clusterDomain: config.HERALD_CLUSTER_DOMAIN,
      lookAgainAfter: (key, delayMs) => queue.addAfter(key, delayMs),
      log,
    }),
    settings: {
      images: {
        broker: config.HERALD_BROKER_IMAGE,
        envoy: config.HERALD_ENVOY_IMAGE,
        postgres: config.HERALD_POSTGRES_IMAGE,
        cassandra: config.HERALD_CASSANDRA_IMAGE,
      },
      clusterDomain: config.HERALD_CLUSTER_DOMAIN,
    },
    log,
  };
  const controller = new Controller({
    queue,
    reconcile: (key) => reconcile(key, deps),
    workers: config.HERALD_MAX_CONCURRENT_RECONCILES,
    log,
    onReconciled: (outcome, seconds) => metrics.observeReconcile(outcome, seconds),
  });
  const elector = config.LEADER_ELECTION
    ? new LeaderElector({
        identity: config.POD_NAME,
        client: leaseClient(
          kubeConfig,
          config.LEADER_ELECTION_NAMESPACE ?? defaultLeaseNamespace(kubeConfig),
          config.LEADER_ELECTION_NAME,
        ),
        log,
      })
    : undefined;

  await informers.start();
  let stopping = false;
  const started = (async () => {
    await until(() => informers.synced || stopping);
    await elector?.run(options.onLostLeadership);
    if (stopping) return;
    log.info("caches synced; reconciling");
    controller.start();
  })();
  started.catch((err: unknown) => {
    if (!stopping) log.error({ err }, "operator failed to start reconciling");
  });

  return {
    httpPort: http.port,
    async stop() {
      stopping = true;
      await controller.stop();
      await elector?.stop();
      await informers.stop();
      await new Promise<void>((resolve) => http.server.close(() => resolve()));
      http.server.closeAllConnections();
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * Assembles one broker in stages (assembly/stages.ts): observability, storage,
 * subscriptions, cluster, publish, serving, running; and takes it down in the
 * drain order below. Used by main.ts and by tests that run a real broker
 * in-process.
 */
import type { Registry } from "prom-client";
import type { HostPort } from "../lib/process/host-port.ts";
import type { Logger } from "../lib/process/logger.ts";
import {
  clusterStage,
  consumerGroupStage,
  type Lifecycle,
  observabilityStage,
  publishStage,
  runningStage,
  servingStage,
  type StageContext,
  stopServer,
  storageStage,
  subscriptionStage,
} from "./assembly/stages.ts";
import type { ClusterSnapshot } from "./cluster/cluster-view.ts";
import type { MembershipSource } from "./cluster/membership/membership.ts";
import type { BrokerConfig, ClusterConfig, SecurityConfig } from "./config.ts";
import { ShuttingDownError } from "./errors.ts";
import { startSecurity } from "./security/security.ts";
import type { BrokerHandlers } from "./server/broker-service.ts";
import { brokerServiceName } from "./server/grpc-server.ts";
import type { MessageStore } from "./store/message-store.ts";
import type { ConsoleSource } from "./web/console-source.ts";
import { readGroupActivity } from "./web/group-activity.ts";

export type BrokerSettings = Pick<
  BrokerConfig,
  | "grpcAddress"
  | "batch"
  | "dedupWindowMs"
  | "maxMessageBytes"
  | "subscriberBufferSize"
  | "publishStreamMaxInflight"
  | "publishStreamMaxInflightBytes"
  | "storeTimeoutMs"
  | "purgeIntervalMs"
  | "maxConnectionAgeMs"
  | "maxConnectionIdleMs"
  | "maxConcurrentStreams"
  | "pendingBytes"
  | "keepalive"
  | "shutdownGraceMs"
  | "retention"
> & {
  /** Absent: a single-member cluster of this broker. */
  readonly cluster?: Omit<ClusterConfig, "membership">;
  /** Absent: no TLS, no authentication. */
  readonly security?: SecurityConfig;
  /** A worker's own client listener beside the shared `grpcAddress` (docs/architecture.md#workers). */
  readonly workerGrpcAddress?: HostPort;
};

export interface BrokerDeps {
  readonly settings: BrokerSettings;
  /** Not yet opened; the broker opens it (retrying) and closes it on shutdown. */
  readonly store: MessageStore;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Where the membership comes from; absent = static, this broker alone. */
  readonly membership?: MembershipSource;
}

export interface Broker {
  /** The bound gRPC port (useful when configured with port 0). */
  readonly port: number;
  /** The bound cluster port, when HERALD_CLUSTER_ADDR gives calls between members their own. */
  readonly clusterPort: number | undefined;
  /** The Broker service as the gRPC port serves it, for the web gateway to call in-process. */
  readonly service: BrokerHandlers;
  /** Ready to serve: a membership epoch is adopted, the store answers and the broker is not draining. */
  ready(): boolean;
  /** Why the broker is not ready (draining, the store's failure, no epoch yet), or undefined. */
  notReadyReason(): string | undefined;
  /** The adopted membership (`/cluster`). */
  cluster(): ClusterSnapshot;
  /** What the web console's read-only routes show. */
  readonly console: ConsoleSource;
  /** Resolves once the store has opened. */
  storeOpened(): Promise<void>;
  /** Runs the drain order: refuse new calls, flush batches, end streams, stop the server, close the store. */
  shutdown(): Promise<void>;
}

const defaultCluster = { self: "broker", handoffTimeoutMs: 5000, forwardTimeoutMs: 10_000 };

/** A named step of the drain; `shutdown` runs them one after another. */
type DrainStep = readonly [step: string, run: () => void | Promise<void>];

export async function startBroker({
  settings,
  store,
  logger,
  registry,
  membership,
}: BrokerDeps): Promise<Broker> {
  const lifecycle: Lifecycle = { draining: false };
  const security = await startSecurity(settings.security, logger);
  const context: StageContext = {
    settings,
    cluster: settings.cluster ?? defaultCluster,
    store,
    logger,
    membership,
    lifecycle,
    security,
  };
  const observability = observabilityStage(registry);
  const storage = storageStage(context, observability);
  const subscriptions = subscriptionStage(context, observability);
  const cluster = clusterStage(context, observability, storage, subscriptions);
  const publishing = publishStage(context, observability, storage, subscriptions, cluster);
  const grouping = consumerGroupStage(context, observability, storage, cluster, publishing);
  const serving = await servingStage(
    context,
    observability,
    storage,
    subscriptions,
    cluster,
    publishing,
    grouping,
  );
  const running = await runningStage(context, observability, storage, cluster, serving);

  const { health } = observability;
  const drainOrder: readonly DrainStep[] = [
    [
      "refuse new calls",
      () => {
        lifecycle.draining = true;
        health.setStatus("", "NOT_SERVING");
        health.setStatus(brokerServiceName, "NOT_SERVING");
      },
    ],
    ["stop purging", () => clearInterval(running.purgeTimer)],
    ["stop following the membership", () => running.source.stop()],
    ["flush batches", () => publishing.publisher.flush()],
    ["end publish streams", () => publishing.streams.drainAll()],
    ["close relays", () => cluster.relays.close()],
    ["end subscriptions", () => subscriptions.hub.closeAll(new ShuttingDownError())],
    ["end consumers, write group state", () => grouping.groups.close(new ShuttingDownError())],
    [
      "stop the servers",
      () =>
        Promise.all(
          [serving.server, serving.clusterServer]
            .filter((server) => server !== undefined)
            .map((server) => stopServer(server, settings.shutdownGraceMs, logger)),
        ),
    ],
    ["close peer channels", () => cluster.peers.close()],
    ["close the store", () => storage.guard.close()],
    ["stop reloading security files", () => security.close()],
  ];

  const notReadyReason = () => {
    if (lifecycle.draining) return "draining";
    const storeDown = storage.guard.unavailableReason;
    if (storeDown !== undefined) return `store unavailable: ${storeDown}`;
    return cluster.view.adopted ? undefined : "no cluster membership adopted yet";
  };

  return {
    port: serving.port,
    clusterPort: serving.clusterPort,
    service: serving.service,
    ready: () => notReadyReason() === undefined,
    notReadyReason,
    cluster: () => cluster.view.snapshot(),
    console: {
      authenticate: serving.authenticateConsole,
      cluster: () => cluster.view.snapshot(),
      ownerOf: (subject) => cluster.view.ownerOf(subject)?.name,
      notReadyReason,
      subjects: publishing.activity,
      retention: settings.retention,
      groupActivity: () => readGroupActivity(registry, grouping.groups.stats()),
    },
    storeOpened: () => storage.guard.waitUntilAvailable(),
    shutdown: async () => {
      if (lifecycle.draining) return;
      for (const [step, run] of drainOrder) {
        logger.debug({ step }, "draining");
        await run();
      }
      logger.info("broker stopped");
    },
  };
}

/**
 * Assembles one broker: store guard, sequencer, publish path, subscription
 * hub, cluster membership / ownership / forwarding, and gRPC server, and takes
 * them down in drain order. Used by main.ts
 * and by tests that run a real broker in-process.
 */
import { ServerCredentials } from "@grpc/grpc-js";
import type { Registry } from "prom-client";
import { type ClusterSnapshot, ClusterView } from "./cluster/cluster-view.ts";
import { createClusterMetrics } from "./cluster/cluster-metrics.ts";
import { createForwardingService, createStreamRouter } from "./cluster/forwarding-service.ts";
import type { MembershipSource } from "./cluster/membership/membership.ts";
import { StaticMembershipSource } from "./cluster/membership/static-source.ts";
import { Ownership } from "./cluster/ownership.ts";
import { PeerPool } from "./cluster/peer-pool.ts";
import { SubscribeRelays } from "./cluster/subscribe-relay.ts";
import { formatHostPort } from "../lib/process/host-port.ts";
import type { BrokerConfig, ClusterConfig } from "./config.ts";
import { ShuttingDownError } from "./errors.ts";
import type { Logger } from "../lib/process/logger.ts";
import { createBrokerMetrics } from "./metrics.ts";
import { observeService } from "./server/observed-service.ts";
import { Publisher } from "./publish/publisher.ts";
import { SubjectSequencer } from "./sequencer/subject-sequencer.ts";
import {
  type Admission,
  admit,
  callFailure,
  createBrokerService,
} from "./server/broker-service.ts";
import { PublishStreams } from "./server/publish-stream.ts";
import { brokerServiceName, createGrpcServer } from "./server/grpc-server.ts";
import type { MessageStore } from "./store/message-store.ts";
import { StoreGuard } from "./store/store-guard.ts";
import { SubscriptionHub } from "./subscriptions/subscription-hub.ts";

export type BrokerSettings = Pick<
  BrokerConfig,
  | "grpcAddress"
  | "batch"
  | "maxMessageBytes"
  | "subscriberBufferSize"
  | "publishStreamMaxInflight"
  | "storeTimeoutMs"
  | "purgeIntervalMs"
  | "maxConnectionAgeMs"
  | "shutdownGraceMs"
  | "retention"
> & {
  /** Absent: a single-member cluster of this broker. */
  readonly cluster?: Omit<ClusterConfig, "membership">;
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
  /** Ready to serve: a membership epoch is adopted, the store answers and the broker is not draining. */
  ready(): boolean;
  /** The adopted membership (`/cluster`). */
  cluster(): ClusterSnapshot;
  /** Resolves once the store has opened. */
  storeOpened(): Promise<void>;
  /** Refuse new calls, flush batches, end streams, stop the server, close the store. */
  shutdown(): Promise<void>;
}

const replayPageSize = 256;
const storeProbeIntervalMs = 500;
const relayRetryDelayMs = 200;
const defaultCluster = { self: "broker", handoffTimeoutMs: 5000, forwardTimeoutMs: 10_000 };

export async function startBroker({
  settings,
  store,
  logger,
  registry,
  membership,
}: BrokerDeps): Promise<Broker> {
  const metrics = createBrokerMetrics(registry, () => publisher.pendingMessages);
  const clusterMetrics = createClusterMetrics(registry);
  const clusterSettings = settings.cluster ?? defaultCluster;
  let draining = false;

  const guard = new StoreGuard(store, {
    timeoutMs: settings.storeTimeoutMs,
    probeIntervalMs: storeProbeIntervalMs,
    onAvailabilityChange: (available, cause) => {
      metrics.storeAvailable.set(available ? 1 : 0);
      if (draining) return;
      health.setStatus(brokerServiceName, available ? "SERVING" : "NOT_SERVING");
      health.setStatus("", available ? "SERVING" : "NOT_SERVING");
      if (available) logger.info({ store: store.kind }, "store available");
      else logger.warn({ store: store.kind, err: cause }, "store unavailable");
    },
    onError: (operation, kind) => metrics.storeErrors.inc({ operation, kind }),
  });
  const hub = new SubscriptionHub({
    bufferSize: settings.subscriberBufferSize,
    onOverflow: () => metrics.subscriberOverflows.inc(),
    onCountChange: (count) => metrics.setSubscribers(count),
    onSubjectIdle: (subject) => relays.closeIfIdle(subject),
  });
  const view = new ClusterView(clusterSettings.self);
  const peers = new PeerPool();
  const relays = new SubscribeRelays({
    view,
    peers,
    deliver: (records) => hub.deliver(records),
    hasSubscribers: (subject) => hub.has(subject),
    lastStoredId: (subject) => guard.lastId(subject),
    readRange: (subject, fromId, limit) => guard.range(subject, fromId, limit, Date.now()),
    retryDelayMs: relayRetryDelayMs,
    logger,
  });
  const ownership: Ownership = new Ownership({
    view,
    sequencer: (): SubjectSequencer => sequencer,
    flush: () => publisher.flush(),
    storeLastId: (subject) => guard.lastId(subject),
    peers,
    relays,
    subscribedSubjects: () => hub.subjects(),
    handoffTimeoutMs: clusterSettings.handoffTimeoutMs,
    onHandoff: (result) => clusterMetrics.handoffs.inc({ result }),
    logger,
  });
  const sequencer: SubjectSequencer = new SubjectSequencer((subject) =>
    ownership.loadLastId(subject),
  );
  view.onEpoch((current, previous) => {
    ownership.onEpoch(current, previous);
    clusterMetrics.membershipEpoch.set(current.epoch);
    logger.info(
      { epoch: current.epoch, members: current.members.map((member) => member.name) },
      "adopted cluster membership",
    );
  });
  clusterMetrics.membershipEpoch.set(-1);
  const publisher = new Publisher({
    store: guard,
    sequencer,
    admit: (subject) => ownership.admit(subject),
    batch: settings.batch,
    onDurable: (records) => {
      hub.deliver(records);
      metrics.messagesPublished.inc(records.length);
    },
    onBatch: (report) => {
      metrics.batchMessages.observe(report.weight);
      metrics.batchWriteSeconds.observe(
        { result: report.ok ? "ok" : "error" },
        report.durationMs / 1000,
      );
    },
  });
  const admission = (): Admission =>
    draining ? "draining" : guard.available ? "open" : "store-unavailable";
  const routing = {
    view,
    peers,
    forwardTimeoutMs: clusterSettings.forwardTimeoutMs,
    epochWaitMs: clusterSettings.handoffTimeoutMs,
    onForward: (method: string, code: number) =>
      clusterMetrics.forwardedCalls.inc({ method, code }),
  };
  const publishStreams = new PublishStreams({
    openRoute: createStreamRouter({
      ...routing,
      publishHere: async (input) => {
        admit(admission());
        return (await publisher.publish([input]))[0] ?? 0;
      },
    }),
    maxMessageBytes: settings.maxMessageBytes,
    retention: settings.retention,
    maxInflight: settings.publishStreamMaxInflight,
    onMessage: (ok, startedMs) => metrics.methods.record("publish_stream", ok, startedMs),
    failure: (err) => callFailure(logger, "PublishStream", err),
  });
  const local = createBrokerService({
    publisher,
    store: guard,
    hub,
    maxMessageBytes: settings.maxMessageBytes,
    replayPageSize,
    logger,
    admission,
    publishStreams,
  });
  const { server, health } = createGrpcServer({
    service: observeService(
      createForwardingService({ ...routing, local, relays, retention: settings.retention }),
      metrics.methods,
    ),
    cluster: ownership.service(),
    maxMessageBytes: settings.maxMessageBytes,
    maxConnectionAgeMs: settings.maxConnectionAgeMs,
  });

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      formatHostPort(settings.grpcAddress),
      ServerCredentials.createInsecure(),
      (err, bound) => (err ? reject(err) : resolve(bound)),
    ),
  );
  metrics.storeAvailable.set(0);
  guard.start();
  const source =
    membership ??
    new StaticMembershipSource({
      epoch: 1,
      members: [
        { name: clusterSettings.self, address: formatHostPort({ ...settings.grpcAddress, port }) },
      ],
    });
  await source.start((next) => view.adopt(next));
  logger.info(
    { address: formatHostPort({ ...settings.grpcAddress, port }), store: store.kind },
    "broker listening",
  );

  let purging = false;
  const purgeTimer = setInterval(() => {
    if (purging || !guard.available) return;
    purging = true;
    guard
      .purgeExpired(Date.now())
      .then(
        (removed) => {
          metrics.messagesPurged.inc(removed);
          if (removed > 0) logger.debug({ removed }, "purged expired messages");
        },
        (err: unknown) => logger.warn({ err }, "purge of expired messages failed"),
      )
      .finally(() => (purging = false));
  }, settings.purgeIntervalMs);
  purgeTimer.unref();

  const stopServer = () =>
    new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        logger.warn("grace period over; closing remaining connections");
        server.forceShutdown();
        resolve();
      }, settings.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });

  return {
    port,
    ready: () => !draining && guard.available && view.adopted,
    cluster: () => view.snapshot(),
    storeOpened: () => guard.waitUntilAvailable(),
    shutdown: async () => {
      if (draining) return;
      draining = true;
      health.setStatus("", "NOT_SERVING");
      health.setStatus(brokerServiceName, "NOT_SERVING");
      clearInterval(purgeTimer);
      await source.stop();
      await publisher.flush();
      await publishStreams.drainAll();
      relays.close();
      hub.closeAll(new ShuttingDownError());
      await stopServer();
      peers.close();
      await guard.close();
      logger.info("broker stopped");
    },
  };
}

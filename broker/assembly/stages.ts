/**
 * The stages that assemble a broker (broker.ts runs them in this order). Each
 * takes what earlier stages built and returns its components; where a
 * component calls one built later, the calling stage declares a link and the
 * later stage connects it.
 */
import { Metadata, type Server, ServerCredentials } from "@grpc/grpc-js";
import type { SpanContext } from "@opentelemetry/api";
import type { Registry } from "prom-client";
import { formatHostPort, type HostPort } from "../../lib/process/host-port.ts";
import { asEnvError, ListenError } from "../../lib/process/listen.ts";
import type { Logger } from "../../lib/process/logger.ts";
import type { BrokerSettings } from "../broker.ts";
import { createClusterMetrics } from "../cluster/cluster-metrics.ts";
import { ClusterView } from "../cluster/cluster-view.ts";
import { createForwardingService, createStreamRouter } from "../cluster/forwarding-service.ts";
import { refuseForwardedCalls } from "../cluster/listener-roles.ts";
import type { MembershipSource } from "../cluster/membership/membership.ts";
import { StaticMembershipSource } from "../cluster/membership/static-source.ts";
import { Ownership } from "../cluster/ownership.ts";
import { PeerPool } from "../cluster/peer-pool.ts";
import { SubscribeRelays } from "../cluster/subscribe-relay.ts";
import { ConsumerGroups, type GroupStats } from "../groups/consumer-groups.ts";
import { createConsumeHandler } from "../groups/consume-handler.ts";
import { createListGroupsHandler } from "../groups/list-groups.ts";
import { createGroupMetrics } from "../groups/group-metrics.ts";
import { createBrokerMetrics } from "../metrics.ts";
import { Publisher } from "../publish/publisher.ts";
import { SubjectSequencer } from "../sequencer/subject-sequencer.ts";
import {
  type Admission,
  admit,
  callFailure,
  createBrokerService,
} from "../server/broker-service.ts";
import {
  brokerServiceName,
  createClusterServer,
  createGrpcServer,
  createHealth,
} from "../server/grpc-server.ts";
import { observeService } from "../server/observed-service.ts";
import { limitPendingBytes, PendingBytes } from "../server/pending-bytes.ts";
import { PublishStreams } from "../server/publish-stream.ts";
import { resolveExpiration } from "../server/validation.ts";
import { authorize } from "../security/access-control.ts";
import type { Security } from "../security/security.ts";
import type { MessageRecord, MessageStore } from "../store/message-store.ts";
import { StoreGuard } from "../store/store-guard.ts";
import { SubscriptionHub } from "../subscriptions/subscription-hub.ts";
import { SubjectActivity } from "../web/subject-activity.ts";
import { link } from "./link.ts";

const replayPageSize = 256;
const storeProbeIntervalMs = 500;
/** A store that stays down is logged again this often: in any log window, yet bounded. */
const storeStillDownLogMs = 30_000;
const relayRetryDelayMs = 200;
const groupRetryDelayMs = 1000;

export type ClusterSettings = NonNullable<BrokerSettings["cluster"]>;

/** Whether the broker is draining for shutdown: set by the first drain step, read by every gate. */
export interface Lifecycle {
  draining: boolean;
}

/** What every stage may use: the broker's inputs. */
export interface StageContext {
  readonly settings: BrokerSettings;
  readonly cluster: ClusterSettings;
  readonly store: MessageStore;
  readonly logger: Logger;
  readonly membership: MembershipSource | undefined;
  readonly lifecycle: Lifecycle;
  readonly security: Security;
}

/** Metrics and health statuses, which every later stage reports to. */
export function observabilityStage(registry: Registry) {
  const pendingMessages = link<[], number>("the batch depth gauge");
  const pendingBytes = link<[], number>("the pending publish bytes gauge");
  const metrics = createBrokerMetrics(registry, pendingMessages.call, pendingBytes.call);
  const clusterMetrics = createClusterMetrics(registry);
  clusterMetrics.membershipEpoch.set(-1);
  const groupStats = link<[], readonly GroupStats[]>("the consumer groups' statistics");
  const groupEvents = createGroupMetrics(registry, groupStats.call);
  return {
    metrics,
    clusterMetrics,
    health: createHealth(),
    pendingMessages,
    pendingBytes,
    groupStats,
    groupEvents,
  };
}
type Observability = ReturnType<typeof observabilityStage>;

/** The store behind its guard (timeouts, availability) and the per-subject id sequencer. */
export function storageStage(
  { store, settings, logger, lifecycle }: StageContext,
  { metrics, health }: Observability,
) {
  const loadLastId = link<[subject: string], Promise<number>>("the sequencer's id loader");
  const guard = new StoreGuard(store, {
    timeoutMs: settings.storeTimeoutMs,
    probeIntervalMs: storeProbeIntervalMs,
    onAvailabilityChange: (available, cause) => {
      metrics.storeAvailable.set(available ? 1 : 0);
      if (lifecycle.draining) return;
      health.setStatus(brokerServiceName, available ? "SERVING" : "NOT_SERVING");
      health.setStatus("", available ? "SERVING" : "NOT_SERVING");
      if (available) logger.info({ store: store.kind }, "store available");
      else logger.warn({ store: store.kind, err: cause }, "store unavailable");
    },
    onStillUnavailable: {
      intervalMs: storeStillDownLogMs,
      report: (cause) => logger.warn({ store: store.kind, err: cause }, "store still unavailable"),
    },
    onError: (operation, kind) => metrics.storeErrors.inc({ operation, kind }),
  });
  const sequencer = new SubjectSequencer(loadLastId.call);
  return { guard, sequencer, loadLastId };
}
type Storage = ReturnType<typeof storageStage>;

/** The local subscribers of every subject. */
export function subscriptionStage({ settings }: StageContext, { metrics }: Observability) {
  const subjectIdle = link<[subject: string], void>("the idle-subject handler");
  const hub = new SubscriptionHub({
    bufferSize: settings.subscriberBufferSize,
    onOverflow: () => metrics.subscriberOverflows.inc(),
    onCountChange: (count) => metrics.setSubscribers(count),
    onSubjectIdle: subjectIdle.call,
  });
  return { hub, subjectIdle };
}
type Subscriptions = ReturnType<typeof subscriptionStage>;

/** Membership view, peer channels, relays of subjects owned elsewhere, and subject ownership. */
export function clusterStage(
  { logger, cluster, security }: StageContext,
  { clusterMetrics }: Observability,
  { guard, sequencer, loadLastId }: Storage,
  { hub, subjectIdle }: Subscriptions,
) {
  const flush = link<[], Promise<void>>("the publisher's flush");
  const view = new ClusterView(cluster.self);
  const peers = new PeerPool(security.tls?.peers);
  const relays = new SubscribeRelays({
    view,
    peers,
    deliver: (records) => hub.deliver(records, true),
    hasSubscribers: (subject) => hub.has(subject),
    lastStoredId: (subject) => guard.lastId(subject),
    readRange: (subject, fromId, limit) => guard.range(subject, fromId, limit, Date.now()),
    retryDelayMs: relayRetryDelayMs,
    logger,
  });
  subjectIdle.connect((subject) => relays.closeIfIdle(subject));
  const ownership = new Ownership({
    view,
    sequencer: () => sequencer,
    flush: flush.call,
    storeLastId: (subject) => guard.lastId(subject),
    peers,
    relays,
    subscribedSubjects: () => hub.subjects(),
    handoffTimeoutMs: cluster.handoffTimeoutMs,
    onHandoff: (result) => clusterMetrics.handoffs.inc({ result }),
    logger,
  });
  loadLastId.connect((subject) => ownership.loadLastId(subject));
  view.onEpoch((current, previous) => {
    ownership.onEpoch(current, previous);
    clusterMetrics.membershipEpoch.set(current.epoch);
    logger.info(
      { epoch: current.epoch, members: current.members.map((member) => member.name) },
      "adopted cluster membership",
    );
  });
  const routing = {
    view,
    peers,
    forwardTimeoutMs: cluster.forwardTimeoutMs,
    epochWaitMs: cluster.handoffTimeoutMs,
    onForward: (method: string, code: number) =>
      clusterMetrics.forwardedCalls.inc({ method, code }),
  };
  return { view, peers, relays, ownership, routing, flush };
}
type Cluster = ReturnType<typeof clusterStage>;

/** The group-commit publisher and the open PublishStreams, with the gate that admits new calls. */
export function publishStage(
  { settings, logger, lifecycle }: StageContext,
  { metrics, pendingMessages, pendingBytes }: Observability,
  { guard, sequencer }: Storage,
  { hub }: Subscriptions,
  { ownership, routing, flush }: Cluster,
) {
  const groupFeed = link<
    [records: readonly MessageRecord[], publishSpans?: readonly (SpanContext | undefined)[]],
    void
  >("the consumer groups' feed");
  const groupFlush = link<[], Promise<void>>("the consumer groups' flush");
  const activity = new SubjectActivity();
  const publisher = new Publisher({
    store: guard,
    sequencer,
    admit: (subject) => ownership.admit(subject),
    batch: settings.batch,
    dedupWindowMs: settings.dedupWindowMs,
    onDurable: (records, publishSpans) => {
      hub.deliver(records);
      groupFeed.call(records, publishSpans);
      metrics.messagesPublished.inc(records.length);
      activity.record(records);
    },
    onBatch: (report) => {
      metrics.batchMessages.observe(report.weight);
      metrics.batchWriteSeconds.observe(
        { result: report.ok ? "ok" : "error" },
        report.durationMs / 1000,
      );
    },
  });
  pendingMessages.connect(() => publisher.pendingMessages);
  // A handoff also waits for the group changes of the subjects it hands off.
  flush.connect(async () => {
    await publisher.flush();
    await groupFlush.call();
  });
  const admission = (): Admission =>
    lifecycle.draining ? "draining" : guard.available ? "open" : "store-unavailable";
  const openRoute = createStreamRouter({
    ...routing,
    publishHere: async (input) => {
      admit(admission());
      return (await publisher.publish([input]))[0] ?? 0;
    },
  });
  const pending = new PendingBytes(settings.pendingBytes);
  pendingBytes.connect(() => pending.total);
  const streams = new PublishStreams({
    // Every frame is authorized on its own, before it is routed.
    openRoute: (call) => {
      const route = openRoute(call);
      return (input) => {
        authorize(call, "publish", input.subject);
        return route(input);
      };
    },
    maxMessageBytes: settings.maxMessageBytes,
    retention: settings.retention,
    maxInflight: settings.publishStreamMaxInflight,
    maxInflightBytes: settings.publishStreamMaxInflightBytes,
    pending,
    onMessage: (ok, startedMs) => metrics.methods.record("publish_stream", ok, startedMs),
    failure: (err) => callFailure(logger, "PublishStream", err),
  });
  return { publisher, streams, pending, admission, groupFeed, groupFlush, activity };
}
type Publishing = ReturnType<typeof publishStage>;

/**
 * Consumer groups, fed by the publish path; dead letters take the publish path
 * too (forwarded when another member owns their subject).
 */
export function consumerGroupStage(
  { settings, logger }: StageContext,
  { groupStats, groupEvents }: Observability,
  { guard }: Storage,
  { routing, view, ownership }: Cluster,
  { publisher, admission, groupFeed, groupFlush }: Publishing,
) {
  const publishRouted = createStreamRouter({
    ...routing,
    publishHere: async (input) => (await publisher.publish([input]))[0] ?? 0,
  })({ metadata: new Metadata(), getDeadline: () => Infinity });
  const groups = new ConsumerGroups({
    store: guard,
    owns: (subject) => view.owns(subject),
    takeOver: (subject) => ownership.loadLastId(subject),
    publish: async (subject, body) => {
      const expirationSeconds = resolveExpiration(0, settings.retention);
      await publishRouted({ subject, body, expirationSeconds });
    },
    events: groupEvents,
    logger,
    batch: settings.batch,
    readPageSize: replayPageSize,
    retryDelayMs: groupRetryDelayMs,
  });
  groupFeed.connect((records, publishSpans) => groups.onDurable(records, publishSpans));
  groupFlush.connect(() => groups.flush());
  view.onEpoch(() => groups.onEpoch());
  groupStats.connect(() => groups.stats());
  return {
    groups,
    consume: createConsumeHandler({ groups, admission, logger }),
    listGroups: createListGroupsHandler({ groups, admission, logger }),
  };
}
type Grouping = ReturnType<typeof consumerGroupStage>;

/**
 * The gRPC servers, bound: the client port (Broker through forwarding and metrics, health), and the
 * cluster port (forwarded Broker calls, Cluster) when HERALD_CLUSTER_ADDR gives it one, else the
 * client port serves Cluster too.
 */
export async function servingStage(
  { settings, logger, security, cluster }: StageContext,
  { metrics, health }: Observability,
  { guard }: Storage,
  { hub }: Subscriptions,
  { relays, ownership, routing }: Cluster,
  { publisher, streams, pending, admission }: Publishing,
  { consume, listGroups }: Grouping,
) {
  const local = createBrokerService({
    publisher,
    store: guard,
    hub,
    maxMessageBytes: settings.maxMessageBytes,
    replayPageSize,
    logger,
    admission,
    publishStreams: streams,
    consume,
    listGroups,
  });
  const { access } = security;
  const forwarding = createForwardingService({
    ...routing,
    local,
    relays,
    retention: settings.retention,
  });
  // Outside forwarding: the member a client calls refuses what it may not do before routing it.
  // Publishes past the pending-bytes caps are refused before anything else runs, and counted.
  const service = observeService(
    limitPendingBytes(access?.secureBroker(forwarding) ?? forwarding, pending),
    metrics.methods,
  );
  // The web console's read-only routes authenticate as ListGroups does, answered here with nothing.
  const authenticateConsole = access?.secureBroker({
    ...forwarding,
    listGroups: (_call, callback) => callback(null, { groups: [] }),
  }).listGroups;
  const limits = {
    maxMessageBytes: settings.maxMessageBytes,
    maxConnectionAgeMs: settings.maxConnectionAgeMs,
    maxConnectionIdleMs: settings.maxConnectionIdleMs,
    maxConcurrentStreams: settings.maxConcurrentStreams,
    keepalive: settings.keepalive,
  };
  const clusterService = access?.secureCluster(ownership.service()) ?? ownership.service();
  const clusterListen = cluster.listenAddress;
  // With a cluster port, the client port serves clients alone (docs/security.md#the-cluster-port).
  const server = createGrpcServer({
    ...limits,
    service,
    health,
    ...(clusterListen === undefined
      ? { cluster: clusterService }
      : { interceptors: [refuseForwardedCalls] }),
  });
  const clientCredentials = security.tls?.server ?? ServerCredentials.createInsecure();
  const port = await bind(server, settings.grpcAddress, clientCredentials);
  // A worker's own port, where routing clients reach the worker that owns their subject.
  if (settings.workerGrpcAddress !== undefined) {
    await bind(server, settings.workerGrpcAddress, clientCredentials).catch(
      asEnvError("HERALD_WORKER_GRPC_ADDR"),
    );
  }
  const clusterServer =
    clusterListen === undefined
      ? undefined
      : await bindClusterServer(
          createClusterServer({ ...limits, service, cluster: clusterService }),
          clusterListen,
          security.tls?.cluster ?? security.tls?.server ?? ServerCredentials.createInsecure(),
          cluster.listenVariable ?? "HERALD_CLUSTER_ADDR",
        );
  return {
    server,
    clusterServer: clusterServer?.server,
    service,
    authenticateConsole,
    port,
    clusterPort: clusterServer?.port,
    address: formatHostPort({ ...settings.grpcAddress, port }),
  };
}

/** Binds the cluster listener; a failure names its own variable, not the client port's. */
async function bindClusterServer(
  server: Server,
  address: HostPort,
  credentials: ServerCredentials,
  variable: string,
) {
  const port = await bind(server, address, credentials).catch(asEnvError(variable));
  return { server, port };
}
type Serving = Awaited<ReturnType<typeof servingStage>>;

/** Starts probing the store, follows the membership, and purges expired messages periodically. */
export async function runningStage(
  { store, settings, logger, cluster, membership }: StageContext,
  { metrics }: Observability,
  { guard }: Storage,
  { view }: Cluster,
  { address }: Serving,
) {
  metrics.storeAvailable.set(0);
  guard.start();
  const source =
    membership ??
    new StaticMembershipSource({ epoch: 1, members: [{ name: cluster.self, address }] });
  await source.start((next) => view.adopt(next));
  logger.info({ address, store: store.kind }, "broker listening");
  return { source, purgeTimer: purgeExpired(guard, settings.purgeIntervalMs, metrics, logger) };
}

function bind(server: Server, address: HostPort, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(formatHostPort(address), credentials, (err, bound) =>
      err ? reject(new ListenError(address, err)) : resolve(bound),
    ),
  );
}

/** Purges every `intervalMs` while the store answers, never two at once. */
function purgeExpired(
  guard: StoreGuard,
  intervalMs: number,
  metrics: Observability["metrics"],
  logger: Logger,
): NodeJS.Timeout {
  let purging = false;
  const timer = setInterval(() => {
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
  }, intervalMs);
  timer.unref();
  return timer;
}

/** Lets calls in progress finish, then closes the connections left after `graceMs`. */
export function stopServer(server: Server, graceMs: number, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      logger.warn("grace period over; closing remaining connections");
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

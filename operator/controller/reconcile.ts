import type { KubernetesObject } from "@kubernetes/client-node";
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import {
  messageBrokerSchema,
  type MessageBroker,
  type MessageBrokerStatus,
} from "../api/v1alpha1/index.ts";
import {
  certificateSkipped,
  childNames,
  renderChildren,
  serviceMonitorSkipped,
} from "../render/index.ts";
import { resolveStore } from "../render/store.ts";
import type { EventRecorder } from "../kube/event-recorder.ts";
import type { BrokerRef, ClusterWriter } from "../kube/writer.ts";
import { metaTime } from "../status/conditions.ts";
import type { Observation } from "../status/observation.ts";
import { computeStatus, pausedStatus } from "../status/status.ts";
import { observeStatefulSet } from "../status/workload.ts";
import { replicasOf, syncChildren, type ChildCaches } from "./children.ts";
import { claimSelector, pvcCleanupFinalizer, wantedFinalizers } from "./finalizer.ts";
import { membershipPods, publishedMembership } from "./membership.ts";
import { renderContextFor, type RenderSettings } from "./render-context.ts";
import { awaitsEpochs, planScaling, type ScalingInput, type ScalingPlan } from "../scaling/plan.ts";
import { withScaling } from "../scaling/status.ts";
import type { EpochReader } from "../scaling/epochs.ts";
import type { PodWorkersReader } from "../scaling/pod-workers.ts";
import type { StoreHealthReader } from "../status/store-health.ts";
import { stallCheckDelayMs } from "../scaling/stall.ts";
import { scalingStall, type StallDeps } from "./scaling-stall.ts";
import { brokerPodName, ports } from "../render/index.ts";
import { transitionEvents } from "./transition-events.ts";
import { mountedRevision, mountedRevisionAnnotation } from "./remount.ts";
import type { BrokerUsers } from "../users/sync.ts";

export const pausedAnnotation = "herald.dev/paused";

/** controller-runtime's reconcile.Result: done, or look again after a delay. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface CacheReader extends ChildCaches {
  broker(namespace: string, name: string): KubernetesObject | undefined;
  /** Whether the CRD of an optional kind (operator/kube/owned-kinds.ts) is installed. */
  installed(kindId: string): boolean;
}

export interface ReconcilerDeps extends StallDeps {
  cache: CacheReader;
  writer: ClusterWriter;
  events: EventRecorder;
  settings: RenderSettings;
  /** The membership epoch each broker pod reports, for scale-down (operator/scaling). */
  epochs: EpochReader;
  /** The workers each live broker pod runs, for the membership (operator/scaling). */
  podWorkers: PodWorkersReader;
  /** What not-ready brokers say about their store, for StorageReady. */
  storeHealth: StoreHealthReader;
  /** The MessageBrokerUsers of each broker: credentials, statuses, the auth file (operator/users). */
  users: BrokerUsers;
  log: Logger;
  now?: () => Date;
}

/** Thrown to have the key retried with backoff after the status already says what failed. */
export class ReconcileError extends Error {}

/** How soon to look again when a watched kind is still syncing. */
const waitForCacheMs = 1000;
/** How often to ask the brokers for their epoch while a scale waits on it (no watch reports it). */
const epochPollMs = 500;

/**
 * Reconciles one MessageBroker, controller-runtime style: reads the cached broker and children,
 * renders the desired children with pure functions, applies the difference, deletes what is no
 * longer rendered, and reports status. It keeps nothing between calls, so any call, repeated or
 * after a restart, converges from whatever the cluster holds.
 */
export async function reconcile(key: string, deps: ReconcilerDeps): Promise<ReconcileResult> {
  const { cache, writer, log } = deps;
  const [namespace = "", name = ""] = key.split("/");
  const raw = cache.broker(namespace, name);
  if (!raw) {
    // Deleted, or never made: garbage collection removes the children; its users say so.
    await deps.users.brokerMissing(namespace, name);
    return {};
  }
  const parsed = messageBrokerSchema.safeParse(raw);
  if (!parsed.success) {
    // The CRD's schema admits no such object; a newer CRD version might. Nothing to retry.
    log.error(
      { broker: key, issues: parsed.error.issues },
      "MessageBroker does not match the schema",
    );
    return {};
  }
  const broker = parsed.data;
  const ref: BrokerRef = { namespace, name };
  const now = metaTime((deps.now ?? (() => new Date()))());

  if (broker.metadata.deletionTimestamp) {
    await finalize(broker, ref, deps);
    return {};
  }
  if (broker.metadata.annotations?.[pausedAnnotation] === "true") {
    await writeStatus(
      ref,
      broker.status,
      pausedStatus(broker.status, broker.metadata.generation, now),
      deps,
    );
    return {};
  }
  await ensureFinalizers(broker, ref, writer);

  const names = childNames(broker);
  const membershipMap = await membershipConfigMap(broker, deps);
  const { input: scalingInput, plan } = await scalingPlan(broker, membershipMap, now, deps);
  const ctx = await renderContextFor(
    broker,
    deps.settings,
    {
      child: (kindId, childName) =>
        kindId === "v1 ConfigMap" && childName === names.membership
          ? membershipMap
          : cache.child(kindId, namespace, childName),
      installed: (kindId) => cache.installed(kindId),
      writer,
      now: (deps.now ?? (() => new Date()))(),
      users: (owner, clientCaBundle) => deps.users.renderInputs(owner, clientCaBundle),
      podWorkers: deps.podWorkers,
    },
    plan,
  );
  const children = await syncChildren({
    desired: renderChildren(broker, ctx),
    namespace,
    ownerUid: broker.metadata.uid,
    brokerStatefulSetName: names.statefulSet,
    caches: cache,
    writer,
    log: log.child({ broker: key }),
  });

  const revision = mountedRevision(children.updated, names);
  if (revision !== undefined) {
    // Pods beyond spec.replicas may still run during a scale-down; they read the files too.
    const live = replicasOf(cache.child("apps/v1 StatefulSet", namespace, names.statefulSet));
    const count = Math.max(broker.spec.replicas, live ?? 0);
    const pods = Array.from({ length: count }, (_, ordinal) => brokerPodName(broker, ordinal));
    // Best effort: without it the kubelet's periodic sync still delivers the files, later.
    await writer
      .annotatePods(namespace, pods, { [mountedRevisionAnnotation]: revision })
      .catch((err: unknown) => log.warn({ broker: key, err }, "annotating broker pods failed"));
  }

  const store = await storeReport(
    broker,
    cache.child("apps/v1 StatefulSet", namespace, names.statefulSet),
    deps,
  );
  const observation = observe(broker, {
    statefulSet: (statefulSetName) =>
      cache.child("apps/v1 StatefulSet", namespace, statefulSetName),
    serviceMonitorSkipped: serviceMonitorSkipped(broker, ctx),
    certificateSkipped: certificateSkipped(broker, ctx),
    reconcileError: children.error,
    scalingStall: await scalingStall(
      { broker, input: scalingInput, plan, membership: ctx.membership },
      deps,
    ),
    membershipEpoch: ctx.membership.epoch,
    clusterDomain: ctx.clusterDomain,
    storeUnavailable: store.cause,
  });
  const scaling = plan.scaling && { ...plan.scaling, targetEpoch: ctx.membership.epoch };
  const status = withScaling(
    computeStatus(observation, now),
    scaling,
    broker.metadata.generation,
    now,
  );
  await writeStatus(ref, broker.status, status, deps);
  for (const event of transitionEvents(
    broker.status,
    status,
    children.brokerStatefulSet,
    children.error,
  )) {
    await deps.events.record(raw, event);
  }

  if (children.error !== undefined) throw new ReconcileError(children.error);
  if (children.waiting) return { requeueAfterMs: waitForCacheMs };
  if (plan.pollEpochs) return { requeueAfterMs: epochPollMs };
  // A step no watch may wake (new pods that never get Ready) is still looked at when it stalls;
  // an operator-managed certificate is re-issued when due, which no watch announces either.
  const delays = [
    plan.scaling && stallCheckDelayMs(plan.scaling, now, deps.scalingStallAfterMs),
    ctx.operatorPki && renewalDelayMs(ctx.operatorPki.renewAt, Date.parse(now)),
    store.waiting ? storeReportPollMs : undefined,
  ].filter((delay) => delay !== undefined);
  return delays.length === 0 ? {} : { requeueAfterMs: Math.min(...delays) };
}

/** Timers hold at most 2^31-1 ms; a renewal further out is looked at again after a day. */
const maxRenewalDelayMs = 24 * 60 * 60 * 1000;

const renewalDelayMs = (renewAt: Date, nowMs: number) =>
  Math.min(Math.max(renewAt.getTime() - nowMs, 1000), maxRenewalDelayMs);

/**
 * The membership ConfigMap: the cached one, or the API server's when the cache is behind the
 * epoch status says was published. A stale one would make this reconcile publish yet another
 * epoch for a member list that is already out.
 */
async function membershipConfigMap(
  broker: MessageBroker,
  deps: ReconcilerDeps,
): Promise<KubernetesObject | undefined> {
  const { namespace } = broker.metadata;
  const name = childNames(broker).membership;
  const cached = deps.cache.child("v1 ConfigMap", namespace, name);
  const cachedEpoch = publishedMembership(cached)?.epoch;
  if (cachedEpoch !== undefined && cachedEpoch >= (broker.status?.membershipEpoch ?? 0)) {
    return cached;
  }
  return deps.writer.readConfigMap(namespace, name);
}

/** The scale step of this reconcile, from the cached StatefulSet, the membership and the brokers. */
async function scalingPlan(
  broker: MessageBroker,
  membershipMap: KubernetesObject | undefined,
  now: string,
  deps: ReconcilerDeps,
): Promise<{ input: ScalingInput; plan: ScalingPlan }> {
  const { namespace } = broker.metadata;
  const names = childNames(broker);
  const published = publishedMembership(membershipMap);
  // Scaling counts pods; a pod of several workers is several members (controller/membership.ts).
  const publishedPods = published ? membershipPods(published) : [];
  const input = {
    wanted: broker.spec.replicas,
    scaling: broker.status?.scaling,
    published: published && { epoch: published.epoch, members: publishedPods.length },
    statefulSet: observeStatefulSet(
      deps.cache.child("apps/v1 StatefulSet", namespace, names.statefulSet),
    ),
  };
  const reportedEpochs =
    published && awaitsEpochs(input)
      ? await deps.epochs(namespace, publishedPods, ports.http.port)
      : undefined;
  const full = { ...input, reportedEpochs, now };
  return { input: full, plan: planScaling(full) };
}

function observe(
  broker: MessageBroker,
  seen: {
    statefulSet: (name: string) => KubernetesObject | undefined;
    serviceMonitorSkipped: boolean;
    certificateSkipped: boolean;
    reconcileError: string | undefined;
    scalingStall: string | undefined;
    membershipEpoch: number;
    clusterDomain: string;
    storeUnavailable: string | undefined;
  },
): Observation {
  const names = childNames(broker);
  const store = resolveStore(broker.spec.storage);
  const storeStatefulSet = store.type === "postgres" ? names.postgres : names.cassandra;
  return {
    broker,
    brokers: observeStatefulSet(seen.statefulSet(names.statefulSet)),
    store:
      store.type === "memory"
        ? { kind: "memory" }
        : "managed" in store
          ? { kind: "managed", workload: observeStatefulSet(seen.statefulSet(storeStatefulSet)) }
          : { kind: "external" },
    serviceMonitorSkipped: seen.serviceMonitorSkipped,
    certificateSkipped: seen.certificateSkipped,
    reconcileError: seen.reconcileError,
    scalingStall: seen.scalingStall,
    membershipEpoch: seen.membershipEpoch,
    clusterDomain: seen.clusterDomain,
    storeUnavailable: seen.storeUnavailable,
  };
}

/** How often not-ready brokers are asked about their store: no watch reports what they say. */
const storeReportPollMs = 5000;

/**
 * While some broker pods are not ready on a persistent store, what they say about it; `waiting`
 * brings the reconcile back to ask again, since a broker learns the cause only when a connect fails.
 */
async function storeReport(
  broker: MessageBroker,
  statefulSet: KubernetesObject | undefined,
  deps: ReconcilerDeps,
): Promise<{ cause: string | undefined; waiting: boolean }> {
  const workload = observeStatefulSet(statefulSet);
  const persistent = resolveStore(broker.spec.storage).type !== "memory";
  if (!persistent || !workload || workload.ready >= workload.current) {
    return { cause: undefined, waiting: false };
  }
  const pods = Array.from({ length: workload.current }, (_, ordinal) =>
    brokerPodName(broker, ordinal),
  );
  const cause = await deps.storeHealth(broker.metadata.namespace, pods, ports.http.port);
  return { cause, waiting: true };
}

/** Writes status only when it differs from the cached one: a steady state writes nothing. */
async function writeStatus(
  ref: BrokerRef,
  previous: MessageBrokerStatus | undefined,
  next: MessageBrokerStatus,
  deps: ReconcilerDeps,
): Promise<void> {
  if (
    isDeepStrictEqual(JSON.parse(JSON.stringify(previous ?? {})), JSON.parse(JSON.stringify(next)))
  ) {
    return;
  }
  await deps.writer.applyStatus(ref, next);
}

async function ensureFinalizers(
  broker: MessageBroker,
  ref: BrokerRef,
  writer: ClusterWriter,
): Promise<void> {
  const current = broker.metadata.finalizers ?? [];
  const wanted = wantedFinalizers(broker).includes(pvcCleanupFinalizer);
  if (current.includes(pvcCleanupFinalizer) === wanted) return;
  const others = current.filter((finalizer) => finalizer !== pvcCleanupFinalizer);
  await writer.setFinalizers(
    ref,
    broker.metadata.resourceVersion ?? "",
    wanted ? [...others, pvcCleanupFinalizer] : others,
  );
}

/** Runs the PVC cleanup of a deleted broker, then lets it go. Nothing else needs a finalizer. */
async function finalize(
  broker: MessageBroker,
  ref: BrokerRef,
  deps: ReconcilerDeps,
): Promise<void> {
  const current = broker.metadata.finalizers ?? [];
  if (!current.includes(pvcCleanupFinalizer)) return;
  const selector = claimSelector(broker);
  if (broker.spec.deletionPolicy === "Delete" && selector) {
    const deleted = await deps.writer.deleteClaims(ref.namespace, selector);
    deps.log.info(
      { broker: `${ref.namespace}/${ref.name}`, claims: deleted },
      "deleted the managed store's volumes",
    );
  }
  const others = current.filter((finalizer) => finalizer !== pvcCleanupFinalizer);
  await deps.writer.setFinalizers(ref, broker.metadata.resourceVersion ?? "", others);
}

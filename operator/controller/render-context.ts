import type { KubernetesObject, V1Secret } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import {
  childNames,
  generatePassword,
  labelSelector,
  passwordFromSecret,
  type RenderContext,
} from "../render/index.ts";
import { desiredWorkers } from "../render/workers.ts";
import type { PodWorkersReader } from "../scaling/pod-workers.ts";
import { resolveStore } from "../render/store.ts";
import type { ClusterWriter } from "../kube/writer.ts";
import type { Membership } from "../../contract/membership.ts";
import { listsWorkers, membershipFor, publishedMembership } from "./membership.ts";
import { tlsContext } from "./tls-context.ts";
import { resourceKindId } from "../../lib/kube/resource-kind.ts";
import { certificateKind, serviceMonitorKind } from "../kube/owned-kinds.ts";
import type { BrokerUsers } from "../users/sync.ts";

/** Operator settings every render gets. */
export interface RenderSettings {
  images: RenderContext["images"];
  clusterDomain: string;
}

export interface ContextSources {
  /** A cached child by kind id ("v1 ConfigMap") and name, in the broker's namespace. */
  child(kindId: string, name: string): KubernetesObject | undefined;
  /** Whether the CRD of an optional kind (operator/kube/owned-kinds.ts) is installed. */
  installed(kindId: string): boolean;
  writer: Pick<ClusterWriter, "readSecret">;
  /** The reconcile's clock, for certificates that are due. */
  now: Date;
  /** The broker's MessageBrokerUsers, brought in line and rendered (operator/users). */
  users: BrokerUsers["renderInputs"];
  /** The workers of the broker's live pods (operator/scaling/pod-workers.ts). */
  podWorkers: PodWorkersReader;
}

/**
 * The RenderContext of one reconcile, from the caches: the published membership, the managed
 * store's password, whether ServiceMonitors exist, the TLS material and the broker's users. `scale` is the current step of a scale
 * (operator/scaling); without one both counts are spec.replicas.
 */
export async function renderContextFor(
  broker: MessageBroker,
  settings: RenderSettings,
  sources: ContextSources,
  scale: { statefulSetReplicas: number; members: number } = {
    statefulSetReplicas: broker.spec.replicas,
    members: broker.spec.replicas,
  },
): Promise<RenderContext> {
  const names = childNames(broker);
  const published = publishedMembership(sources.child("v1 ConfigMap", names.membership));
  const tls = await tlsContext(broker, settings.clusterDomain, sources, sources.now);
  const podWorkers = await livePodWorkers(broker, published, sources.podWorkers);
  return {
    images: settings.images,
    clusterDomain: settings.clusterDomain,
    serviceMonitorCrdInstalled: sources.installed(resourceKindId(serviceMonitorKind)),
    certManagerInstalled: sources.installed(resourceKindId(certificateKind)),
    membership: membershipFor(broker, scale.members, published, settings.clusterDomain, podWorkers),
    podWorkers,
    statefulSetReplicas: scale.statefulSetReplicas,
    ...(await postgresPassword(broker, names.postgresCredentials, sources)),
    ...tls,
    // After TLS: the users' credentials Secrets carry the CA bundle clients trust.
    ...(await sources.users(broker, tls.clientCaBundle)),
  };
}

/**
 * The workers each live broker pod runs, read only while some pod may run several: the spec asks
 * for several, or the published membership lists workers (pods not yet back to one). Otherwise
 * every pod runs one, as before workers existed.
 */
async function livePodWorkers(
  broker: MessageBroker,
  published: Membership | undefined,
  read: PodWorkersReader,
): Promise<ReadonlyMap<string, number>> {
  if (desiredWorkers(broker.spec) === 1 && !(published && listsWorkers(published))) {
    return new Map();
  }
  return read(broker.metadata.namespace, labelSelector(broker, "broker"));
}

/**
 * The managed PostgreSQL password: the existing Secret's, or a new one when there is none. A
 * cache miss is confirmed with the API server first: a Secret created a moment ago may not have
 * reached the cache, and replacing its password would lock the brokers out of the database.
 */
async function postgresPassword(
  broker: MessageBroker,
  secretName: string,
  sources: ContextSources,
): Promise<{ postgresPassword?: string }> {
  const store = resolveStore(broker.spec.storage);
  if (store.type !== "postgres" || !("managed" in store)) return {};
  const cached: V1Secret | undefined = sources.child("v1 Secret", secretName);
  const secret = cached ?? (await sources.writer.readSecret(broker.metadata.namespace, secretName));
  return { postgresPassword: passwordFromSecret(secret) ?? generatePassword() };
}

import type { V1StatefulSet } from "@kubernetes/client-node";
import { quantityValue } from "../../lib/kube/quantity.ts";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import type { RenderContext } from "./context.ts";
import { childMetadata, selectorLabels, standardLabels } from "./metadata.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";
import { resourceRequirements } from "./resources.ts";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./security.ts";
import { managedCassandra } from "./store.ts";
import { managedStoreSettings } from "./store-connection.ts";
import { claimRetention, dataVolume, dataVolumeClaim } from "./volume-claim.ts";

/** uid and gid of `cassandra` in the official image. */
const cassandraUid = 999;
/** Fits a 1 GiB heap (cassandraHeap) plus off-heap memory. */
const defaultResources = { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "2Gi" } };

const mebibyte = 2 ** 20;

/**
 * MAX_HEAP_SIZE and HEAP_NEWSIZE from the container's memory (its limit, else its request), by
 * Cassandra's own rule (conf/cassandra-env.sh: the larger of half the memory capped at 1 GiB and
 * a quarter capped at 8 GiB; a quarter of that for the young generation). That script reads the
 * machine's memory, not the container's, so the heap is set here: a fixed 1 GiB heap leaves no
 * room for off-heap memory under a 1 GiB limit and wastes a larger one. Without a memory figure,
 * 1 GiB.
 */
export function cassandraHeap(resources: {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}): { maxHeap: string; newSize: string } {
  const memory = resources.limits?.memory ?? resources.requests?.memory;
  const bytes = memory === undefined ? undefined : quantityValue(String(memory));
  const mib = bytes !== undefined && bytes > 0 ? Math.floor(bytes / mebibyte) : 2048;
  const heap = Math.max(Math.min(mib / 2, 1024), Math.min(mib / 4, 8192));
  return { maxHeap: `${Math.floor(heap)}M`, newSize: `${Math.floor(heap / 4)}M` };
}

/**
 * A Cassandra ring in one data center. Nodes join one at a time (OrderedReady), seeded by the
 * first. The image's entrypoint writes cassandra.yaml from env at start, so this is the one
 * container whose root filesystem stays writable; it still runs as non-root with no capabilities.
 */
export function renderCassandraStatefulSet(
  broker: MessageBroker,
  ctx: RenderContext,
): V1StatefulSet {
  const managed = managedCassandra(broker.spec.storage);
  const names = childNames(broker);
  const resources = managed.resources ?? defaultResources;
  const heap = cassandraHeap(resources);
  const seed = `${names.cassandra}-0.${names.cassandra}.${broker.metadata.namespace}.svc.${ctx.clusterDomain}`;
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: childMetadata(broker, { name: names.cassandra, component: "cassandra" }),
    spec: {
      replicas: managed.replicas,
      serviceName: names.cassandra,
      podManagementPolicy: "OrderedReady",
      selector: { matchLabels: selectorLabels(broker, "cassandra") },
      persistentVolumeClaimRetentionPolicy: claimRetention(broker),
      template: {
        metadata: { labels: standardLabels(broker, "cassandra") },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 60,
          securityContext: restrictedPodSecurityContext({
            uid: cassandraUid,
            fsGroup: cassandraUid,
          }),
          containers: [
            {
              name: "cassandra",
              image: `${ctx.images.cassandra}:${managed.version}`,
              ports: [
                { name: ports.cql.name, containerPort: ports.cql.port, protocol: "TCP" },
                {
                  name: ports.cassandraIntraNode.name,
                  containerPort: ports.cassandraIntraNode.port,
                  protocol: "TCP",
                },
              ],
              env: [
                { name: "CASSANDRA_CLUSTER_NAME", value: broker.metadata.name },
                { name: "CASSANDRA_DC", value: managedStoreSettings.dataCenter },
                { name: "CASSANDRA_RACK", value: "rack1" },
                { name: "CASSANDRA_ENDPOINT_SNITCH", value: "GossipingPropertyFileSnitch" },
                { name: "CASSANDRA_SEEDS", value: seed },
                { name: "MAX_HEAP_SIZE", value: heap.maxHeap },
                { name: "HEAP_NEWSIZE", value: heap.newSize },
              ],
              readinessProbe: {
                tcpSocket: { port: ports.cql.name },
                periodSeconds: 10,
                failureThreshold: 3,
              },
              livenessProbe: {
                tcpSocket: { port: ports.cassandraIntraNode.name },
                initialDelaySeconds: 90,
                periodSeconds: 20,
                failureThreshold: 6,
              },
              resources: resourceRequirements(resources),
              securityContext: restrictedContainerSecurityContext({
                readOnlyRootFilesystem: false,
              }),
              volumeMounts: [{ name: dataVolume, mountPath: "/var/lib/cassandra" }],
            },
          ],
        },
      },
      volumeClaimTemplates: [dataVolumeClaim(managed.storage, managed.storageClassName)],
    },
  };
}

import type { V1StatefulSet } from "@kubernetes/client-node";
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
/** Fits the 1 GiB heap set below plus off-heap memory. */
const defaultResources = { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "2Gi" } };

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
                { name: "MAX_HEAP_SIZE", value: "1G" },
                { name: "HEAP_NEWSIZE", value: "256M" },
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
              resources: resourceRequirements(managed.resources ?? defaultResources),
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

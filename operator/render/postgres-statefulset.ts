import type { V1StatefulSet } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import type { RenderContext } from "./context.ts";
import { childMetadata, selectorLabels, standardLabels } from "./metadata.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";
import { resourceRequirements } from "./resources.ts";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./security.ts";
import { managedPostgres } from "./store.ts";
import { managedStoreSettings } from "./store-connection.ts";
import { claimRetention, dataVolume, dataVolumeClaim } from "./volume-claim.ts";

/** uid and gid of `postgres` in the official (Debian) image. */
const postgresUid = 999;
const dataDir = "/var/lib/postgresql/data";
const defaultResources = { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } };

/**
 * A single-instance PostgreSQL. It runs as the image's postgres user on a read-only root
 * filesystem; the socket and temporary directories are emptyDirs, and PGDATA is a subdirectory
 * of the volume because a fresh volume's root may hold lost+found.
 */
export function renderPostgresStatefulSet(
  broker: MessageBroker,
  ctx: RenderContext,
): V1StatefulSet {
  const managed = managedPostgres(broker.spec.storage);
  const names = childNames(broker);
  const secretEnv = (name: string, key: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: names.postgresCredentials, key } },
  });
  const ready = {
    exec: {
      command: [
        "pg_isready",
        "-h",
        "127.0.0.1",
        "-U",
        managedStoreSettings.user,
        "-d",
        managedStoreSettings.database,
      ],
    },
  };
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: childMetadata(broker, { name: names.postgres, component: "postgres" }),
    spec: {
      replicas: 1,
      serviceName: names.postgres,
      selector: { matchLabels: selectorLabels(broker, "postgres") },
      persistentVolumeClaimRetentionPolicy: claimRetention(broker),
      template: {
        metadata: { labels: standardLabels(broker, "postgres") },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: restrictedPodSecurityContext({ uid: postgresUid, fsGroup: postgresUid }),
          containers: [
            {
              name: "postgres",
              image: `${ctx.images.postgres}:${managed.version}`,
              ports: [
                { name: ports.postgres.name, containerPort: ports.postgres.port, protocol: "TCP" },
              ],
              env: [
                secretEnv("POSTGRES_USER", "username"),
                secretEnv("POSTGRES_PASSWORD", "password"),
                secretEnv("POSTGRES_DB", "database"),
                { name: "PGDATA", value: `${dataDir}/pgdata` },
              ],
              readinessProbe: { ...ready, periodSeconds: 5 },
              livenessProbe: { ...ready, periodSeconds: 10, failureThreshold: 6 },
              resources: resourceRequirements(managed.resources ?? defaultResources),
              securityContext: restrictedContainerSecurityContext(),
              volumeMounts: [
                { name: dataVolume, mountPath: dataDir },
                { name: "run", mountPath: "/var/run/postgresql" },
                { name: "tmp", mountPath: "/tmp" },
              ],
            },
          ],
          volumes: [
            { name: "run", emptyDir: {} },
            { name: "tmp", emptyDir: {} },
          ],
        },
      },
      volumeClaimTemplates: [dataVolumeClaim(managed.storage, managed.storageClassName)],
    },
  };
}

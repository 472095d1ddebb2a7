/**
 * The external PostgreSQL of a kind scenario: the official image as a Deployment and Service in
 * the scenario's namespace, and the credentials Secret the MessageBroker refers to. Pure.
 */
import type { V1Deployment, V1Secret, V1Service } from "@kubernetes/client-node";
import { ports } from "../../operator/render/ports.ts";
import {
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from "../../operator/render/security.ts";

/** uid and gid of `postgres` in the official (Debian) image and in the node lane's image. */
const postgresUid = 999;
const dataDir = "/var/lib/postgresql/data";

export const postgres = {
  name: "postgres",
  image: "postgres:17",
  user: "herald",
  database: "herald",
  credentialsSecret: "postgres-credentials",
  port: ports.postgres.port,
} as const;

/** The Service as pods reach it. */
export const postgresHost = (namespace: string): string =>
  `${postgres.name}.${namespace}.svc.cluster.local`;

/** `image` replaces the official one (the node lane has no registry). */
export function renderPostgres(options: { namespace: string; password: string; image?: string }) {
  const { namespace, password, image = postgres.image } = options;
  const labels = { "app.kubernetes.io/name": postgres.name };
  const secretEnv = (name: string, key: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: postgres.credentialsSecret, key } },
  });
  const ready = {
    exec: {
      command: ["pg_isready", "-h", "127.0.0.1", "-U", postgres.user, "-d", postgres.database],
    },
  };
  const secret: V1Secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: postgres.credentialsSecret, namespace },
    type: "kubernetes.io/basic-auth",
    stringData: { username: postgres.user, password },
  };
  const deployment: V1Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: postgres.name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          // Admitted where the namespace enforces the restricted Pod Security Standard, as the
          // scenarios' namespaces do: the image's own postgres user, a read-only root, and
          // emptyDirs for what PostgreSQL writes (PGDATA one level down: initdb chmods it).
          securityContext: restrictedPodSecurityContext({ uid: postgresUid, fsGroup: postgresUid }),
          containers: [
            {
              name: "postgres",
              image,
              securityContext: restrictedContainerSecurityContext(),
              volumeMounts: [
                { name: "data", mountPath: dataDir },
                { name: "run", mountPath: "/var/run/postgresql" },
                { name: "tmp", mountPath: "/tmp" },
              ],
              ports: [{ name: ports.postgres.name, containerPort: postgres.port }],
              env: [
                secretEnv("POSTGRES_USER", "username"),
                secretEnv("POSTGRES_PASSWORD", "password"),
                { name: "POSTGRES_DB", value: postgres.database },
                { name: "PGDATA", value: `${dataDir}/pgdata` },
              ],
              readinessProbe: { ...ready, periodSeconds: 2 },
            },
          ],
          volumes: ["data", "run", "tmp"].map((name) => ({ name, emptyDir: {} })),
        },
      },
    },
  };
  const service: V1Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: postgres.name, namespace, labels },
    spec: {
      selector: labels,
      ports: [{ name: ports.postgres.name, port: postgres.port, targetPort: ports.postgres.name }],
    },
  };
  return { apiVersion: "v1", kind: "List", items: [secret, deployment, service] };
}

import type { V1EnvVar } from "@kubernetes/client-node";
import {
  type BrokerEnvName,
  type LibraryEnvName,
  renderBrokerEnv,
} from "../../contract/broker-env.ts";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";
import { resolveStore } from "./store.ts";

/** How the brokers reach their store: plain settings for the ConfigMap, credentials only as secretKeyRef env. */
export interface StoreConnection {
  config: Partial<Record<BrokerEnvName, string>>;
  credentialEnv: V1EnvVar[];
}

/** Database, user, keyspace and data center of the stores the operator manages. */
export const managedStoreSettings = {
  database: "herald",
  user: "herald",
  keyspace: "herald",
  dataCenter: "dc1",
} as const;

interface CredentialKeys {
  name: string;
  usernameKey: string;
  passwordKey: string;
}

const managedPostgresCredentials = (broker: MessageBroker): CredentialKeys => ({
  name: childNames(broker).postgresCredentials,
  usernameKey: "username",
  passwordKey: "password",
});

function credentialEnv(
  userVar: BrokerEnvName | LibraryEnvName,
  passwordVar: BrokerEnvName | LibraryEnvName,
  secret: CredentialKeys | undefined,
): V1EnvVar[] {
  if (!secret) return [];
  return [
    { name: userVar, valueFrom: { secretKeyRef: { name: secret.name, key: secret.usernameKey } } },
    {
      name: passwordVar,
      valueFrom: { secretKeyRef: { name: secret.name, key: secret.passwordKey } },
    },
  ];
}

export const hostPort = (host: string, port: number) =>
  host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;

function postgresUrl(host: string, port: number, database: string): string {
  return `postgres://${hostPort(host, port)}/${encodeURIComponent(database)}`;
}

/**
 * Copies of each message in a managed ring: three, as Cassandra's guidance for production, or every
 * node of a smaller ring; the brokers write at LOCAL_QUORUM, so a ring of three survives a node's loss.
 */
export const managedReplicationFactor = (nodes: number): number => Math.min(nodes, 3);

export function storeConnection(broker: MessageBroker): StoreConnection {
  const store = resolveStore(broker.spec.storage);
  const names = childNames(broker);
  const serviceHost = (service: string) => `${service}.${broker.metadata.namespace}.svc`;

  if (store.type === "memory") {
    return { config: renderBrokerEnv({ HERALD_STORE: "memory" }), credentialEnv: [] };
  }

  if (store.type === "postgres") {
    const { url, secret } =
      "managed" in store
        ? {
            url: postgresUrl(
              serviceHost(names.postgres),
              ports.postgres.port,
              managedStoreSettings.database,
            ),
            secret: managedPostgresCredentials(broker),
          }
        : { url: externalPostgresUrl(store.external), secret: store.external.credentialsSecret };
    // node-postgres takes PGUSER/PGPASSWORD when the URL has no credentials, so the URL holds no secret.
    return {
      config: renderBrokerEnv({ HERALD_STORE: "postgres", HERALD_POSTGRES_URL: url }),
      credentialEnv: credentialEnv("PGUSER", "PGPASSWORD", secret),
    };
  }

  const { contactPoints, localDataCenter, keyspace, secret, replicationFactor } =
    "managed" in store
      ? {
          // The headless Service resolves to every node; the driver discovers the ring from there.
          contactPoints: [hostPort(serviceHost(names.cassandra), ports.cql.port)],
          localDataCenter: managedStoreSettings.dataCenter,
          keyspace: managedStoreSettings.keyspace,
          secret: undefined,
          replicationFactor: managedReplicationFactor(store.managed.replicas),
        }
      : { ...store.external, secret: store.external.credentialsSecret, replicationFactor: 1 };
  return {
    config: renderBrokerEnv({
      HERALD_STORE: "cassandra",
      HERALD_CASSANDRA_CONTACT_POINTS: [...contactPoints],
      HERALD_CASSANDRA_LOCAL_DC: localDataCenter,
      HERALD_CASSANDRA_KEYSPACE: keyspace,
      // Rendered only above 1, so brokers on a single node keep their pods as they are.
      ...(replicationFactor > 1 && { HERALD_CASSANDRA_REPLICATION_FACTOR: replicationFactor }),
    }),
    credentialEnv: credentialEnv("HERALD_CASSANDRA_USERNAME", "HERALD_CASSANDRA_PASSWORD", secret),
  };
}

function externalPostgresUrl(external: {
  url?: string;
  host?: string;
  port?: number;
  database?: string;
}): string {
  if (external.url) return external.url;
  if (!external.host) throw new Error("storage.postgres.external needs url or host");
  return postgresUrl(
    external.host,
    external.port ?? ports.postgres.port,
    external.database ?? managedStoreSettings.database,
  );
}

/**
 * The broker's environment: every variable the operator may render and the broker reads, with its
 * type, default and text format (docs/architecture.md#contract-between-operator-and-broker). The
 * broker parses its environment with `brokerEnvSchema`; the operator encodes the values it renders
 * with `renderBrokerEnv`, through the same codecs.
 */
import { z } from "zod";
import {
  envEnum,
  envHostPort,
  envIdentifier,
  envInteger,
  envList,
  envMilliseconds,
  envText,
  parseEnv,
  renderEnv,
  unknownVariables,
} from "../lib/process/env.ts";
import { logLevels } from "../lib/process/logger.ts";
import { brokerEnvMembers } from "./membership.ts";
import { brokerPorts, maxWorkers } from "./ports.ts";

const listenOn = (port: number) => ({ host: "0.0.0.0", port });

const port =
  "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})";
/**
 * A Cassandra contact point: `host`, `host:port`, `[ipv6]:port` or a bare IPv6 address, with a port
 * from 1 to 65535. The CRD's contactPoints use it too (RE2 syntax, as the API server checks it).
 */
export const contactPointPattern = new RegExp(
  `^(?:[^:\\[\\]\\s,]+|\\[[0-9A-Fa-f:.]+\\])(?::${port})?$|^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$`,
);

const mebibyte = 1024 * 1024;
/** Expiries are int32 seconds, as `expirationSeconds` on the wire and in the CRD. */
const maxExpirationSeconds = 2 ** 31 - 1;
/**
 * Upper bound of the per-subscriber and per-stream message queues: far above any useful depth, low
 * enough that a typo (an extra zero or two) fails startup instead of holding gigabytes.
 */
const maxQueuedMessages = 100_000;
/**
 * Longest duplicate window: every key in it is a stored row, so a week bounds the table a steady
 * publisher builds, and stays far inside Cassandra's TTL limit.
 */
export const maxDedupWindowSeconds = 7 * 24 * 3600;

export const brokerEnvSchema = z.object({
  HERALD_GRPC_ADDR: envHostPort()
    .default(listenOn(brokerPorts.grpc.port))
    .describe("gRPC listen address."),
  HERALD_CLUSTER_ADDR: envHostPort()
    .optional()
    .describe(
      "Cluster listener for calls between members (forwarding, handoff); unset: the gRPC port serves them.",
    ),
  HERALD_WORKERS: envInteger(1, maxWorkers)
    .default(1)
    .describe(
      "Broker processes in this pod, each a member <POD_NAME>~<i> owning its own subjects; 1: this process alone.",
    ),
  HERALD_WORKER_GRPC_ADDR: envHostPort()
    .default(listenOn(brokerPorts.workerGrpc.port))
    .describe(
      "With HERALD_WORKERS > 1: worker i's own gRPC listener is this port + i; all share HERALD_GRPC_ADDR.",
    ),
  HERALD_WORKER_CLUSTER_ADDR: envHostPort()
    .default(listenOn(brokerPorts.workerCluster.port))
    .describe(
      "With HERALD_WORKERS > 1: worker i's cluster listener is this port + i (HERALD_CLUSTER_ADDR must be unset).",
    ),
  HERALD_WORKER_INDEX: envInteger(0, maxWorkers - 1)
    .optional()
    .describe("Set by the broker on each worker it starts; not for users."),
  HERALD_HTTP_ADDR: envHostPort()
    .default(listenOn(brokerPorts.http.port))
    .describe("HTTP listen address: /metrics, /healthz, /readyz, /cluster."),
  HERALD_WEB_ADDR: envHostPort()
    .optional()
    .describe("HTTP/WebSocket gateway listen address; unset: no gateway."),
  HERALD_WEB_CORS_ORIGINS: envList()
    .optional()
    .describe("Origins browsers may call the gateway from (comma-separated, or *); unset: none."),
  HERALD_WEB_MAX_STREAMS: envInteger(1, maxQueuedMessages)
    .default(1000)
    .describe("Gateway event streams, WebSockets and their subscriptions at most; past it 503."),
  HERALD_STORE: envEnum(["memory", "postgres", "cassandra"])
    .default("memory")
    .describe("Message store."),
  HERALD_POSTGRES_URL: envText()
    .optional()
    .describe(
      "PostgreSQL connection URL; required with postgres. PGUSER/PGPASSWORD add credentials.",
    ),
  HERALD_POSTGRES_SCHEMA: envIdentifier()
    .optional()
    .describe("PostgreSQL schema of the messages table; unset: the search_path's."),
  HERALD_CASSANDRA_CONTACT_POINTS: envList()
    .check((ctx) => {
      const bad = ctx.value.find((point) => !contactPointPattern.test(point));
      if (bad !== undefined) {
        const message = `expected host or host:port items (port 1 to 65535), got ${JSON.stringify(bad)}`;
        ctx.issues.push({ code: "custom", message, input: ctx.value });
      }
    })
    .optional()
    .describe("Comma-separated host:port list; required with cassandra."),
  HERALD_CASSANDRA_LOCAL_DC: envText()
    .default("datacenter1")
    .describe("Cassandra local data center."),
  HERALD_CASSANDRA_KEYSPACE: envIdentifier().default("herald").describe("Cassandra keyspace."),
  HERALD_CASSANDRA_USERNAME: envText().optional().describe("Cassandra user (from a Secret)."),
  HERALD_CASSANDRA_PASSWORD: envText().optional().describe("Cassandra password (from a Secret)."),
  HERALD_CASSANDRA_REPLICATION_FACTOR: envInteger(1, 99)
    .default(1)
    .describe(
      "Copies of each row when the broker creates the keyspace (SimpleStrategy); an existing keyspace is left as it is.",
    ),
  HERALD_MEMORY_MAX_MESSAGES_PER_SUBJECT: envInteger(1, 10_000_000)
    .default(100_000)
    .describe(
      "Memory store: the oldest messages of a subject are dropped past this count (at most 10 million).",
    ),
  HERALD_BATCH_MAX_SIZE: envInteger(1, 100_000)
    .default(1000)
    .describe(
      "Most messages one group commit writes; at most 100000, as the CRD's storage.batch.maxSize.",
    ),
  HERALD_BATCH_MAX_DELAY_MS: envMilliseconds(0)
    .default(5)
    .describe("Longest a publish waits for its batch to fill while no write is in flight."),
  HERALD_MAX_MESSAGE_BYTES: envInteger(1, 64 * mebibyte)
    .default(4 * mebibyte)
    .describe("Largest message body; at most 64 MiB, as the CRD's maxMessageBytes."),
  HERALD_SUBSCRIBER_BUFFER: envInteger(1, maxQueuedMessages)
    .default(1024)
    .describe("Messages queued for one subscriber before its stream ends with RESOURCE_EXHAUSTED."),
  HERALD_PUBLISH_STREAM_MAX_INFLIGHT: envInteger(1, maxQueuedMessages)
    .default(1024)
    .describe("Un-acknowledged messages per PublishStream before the server stops reading it."),
  HERALD_PUBLISH_STREAM_MAX_INFLIGHT_BYTES: envInteger(1, 1024 * mebibyte)
    .default(16 * mebibyte)
    .describe(
      "Un-acknowledged body bytes per PublishStream before the server stops reading it; at most 1 GiB.",
    ),
  HERALD_MAX_PENDING_BYTES: envInteger(1, 16 * 1024 * mebibyte)
    .default(256 * mebibyte)
    .describe(
      "Publish body bytes the broker holds before they are stored, over every call; past it a publish is RESOURCE_EXHAUSTED. At most 16 GiB.",
    ),
  HERALD_MAX_CONNECTION_PENDING_BYTES: envInteger(1, 16 * 1024 * mebibyte)
    .default(64 * mebibyte)
    .describe(
      "Publish body bytes one gRPC connection may have waiting to be stored; past it its publishes are RESOURCE_EXHAUSTED. At most 16 GiB.",
    ),
  HERALD_STORE_TIMEOUT_MS: envMilliseconds(1)
    .default(5000)
    .describe("Bound on one store call; past it the call fails with UNAVAILABLE."),
  HERALD_PURGE_INTERVAL_MS: envMilliseconds(1)
    .default(60_000)
    .describe("How often expired messages are deleted from the store."),
  HERALD_MAX_CONNECTION_AGE_MS: envMilliseconds(0)
    .default(300_000)
    .describe("Clients reconnect after this age, spreading them over pods; 0 = never."),
  HERALD_MAX_CONNECTION_IDLE_MS: envMilliseconds(0)
    .default(60_000)
    .describe("A gRPC connection with no call for this long is closed; 0 = never."),
  HERALD_KEEPALIVE_TIME_MS: envMilliseconds(0)
    .default(30_000)
    .describe("The broker pings each gRPC connection this often to find dead peers; 0 = never."),
  HERALD_KEEPALIVE_TIMEOUT_MS: envMilliseconds(1)
    .default(10_000)
    .describe("A connection whose peer does not answer a keepalive ping within this is closed."),
  // Members forward to each other over one connection, so the default leaves room for their calls.
  HERALD_MAX_CONCURRENT_STREAMS: envInteger(1, 10_000)
    .default(1000)
    .describe("Concurrent calls per gRPC connection; HTTP/2 makes the client queue further calls."),
  HERALD_SHUTDOWN_GRACE_MS: envMilliseconds(1)
    .default(20_000)
    .describe("Time the drain on SIGTERM may take."),
  HERALD_LOG_LEVEL: envEnum(logLevels).default("info").describe("Log level of the JSON logs."),
  HERALD_DEFAULT_EXPIRATION_SECONDS: envInteger(0, maxExpirationSeconds)
    .optional()
    .describe(
      "Expiry of a publish that asks for none; unset: HERALD_MAX_EXPIRATION_SECONDS, else never; 0: never.",
    ),
  HERALD_MAX_EXPIRATION_SECONDS: envInteger(1, maxExpirationSeconds)
    .optional()
    .describe("Longest expiry a publish may ask for; unset: no limit."),
  HERALD_DEDUP_WINDOW_SECONDS: envInteger(1, maxDedupWindowSeconds)
    .default(120)
    .describe(
      "How long a publish's idempotency key answers duplicates with the first id; at most 604800 (7 days).",
    ),
  HERALD_MEMBERSHIP_CONFIGMAP: envText()
    .optional()
    .describe("Name of the membership ConfigMap in POD_NAMESPACE to watch."),
  HERALD_CLUSTER_MEMBERS: brokerEnvMembers
    .optional()
    .describe("Static members outside Kubernetes: membership JSON, or name=host:port,…"),
  HERALD_HANDOFF_TIMEOUT_MS: envMilliseconds(1)
    .default(5000)
    .describe("Bound on waiting for a handoff answer; past it a silent member counts as gone."),
  HERALD_FORWARD_TIMEOUT_MS: envMilliseconds(1)
    .default(10_000)
    .describe("Deadline of a call forwarded to a subject's owner."),
  HERALD_TLS_CERT_FILE: envText()
    .optional()
    .describe("PEM certificate (chain) of the gRPC port; with HERALD_TLS_KEY_FILE turns TLS on."),
  HERALD_TLS_KEY_FILE: envText().optional().describe("PEM private key of HERALD_TLS_CERT_FILE."),
  HERALD_TLS_CLIENT_CA_FILE: envText()
    .optional()
    .describe("PEM CA(s); when set, every client must present a certificate they signed (mTLS)."),
  HERALD_TLS_CLUSTER_CA_FILE: envText()
    .optional()
    .describe("PEM CA(s) of the members' certificates: trusted for calls between members only."),
  HERALD_AUTH_FILE: envText()
    .optional()
    .describe("YAML users (token SHA-256, certificate SAN, JWT subject) and their permissions."),
  HERALD_JWT_ISSUER: envText()
    .optional()
    .describe("Accept JWT bearer tokens of this issuer (iss), e.g. the Kubernetes API server."),
  HERALD_JWT_AUDIENCE: envText().optional().describe("Required aud of JWT bearer tokens."),
  HERALD_JWT_JWKS_FILE: envText()
    .optional()
    .describe("JWKS file with the issuer's keys (reloaded on change); or HERALD_JWT_JWKS_URL."),
  HERALD_JWT_JWKS_URL: envText().optional().describe("URL of the issuer's JWKS."),
  HERALD_JWT_JWKS_CA_FILE: envText()
    .optional()
    .describe("PEM CA that HERALD_JWT_JWKS_URL's server certificate must chain to."),
  HERALD_JWT_PERMISSIONS_CLAIM: envText()
    .default("herald")
    .describe("JWT claim holding permissions in the auth file's shape."),
  POD_NAME: envText().optional().describe("This member's name (downward API); else the host name."),
  POD_NAMESPACE: envText().optional().describe("Namespace of the membership ConfigMap."),
});

export type BrokerEnv = z.output<typeof brokerEnvSchema>;
export type BrokerEnvName = keyof BrokerEnv;

/**
 * Standard variables the operator renders that a library inside the broker reads, not the broker's
 * own loader: node-postgres takes the credentials the URL leaves out, and the OpenTelemetry SDK its
 * exporter and sampler settings.
 */
export const libraryEnvNames = [
  "PGUSER",
  "PGPASSWORD",
  "OTEL_SERVICE_NAME",
  "OTEL_RESOURCE_ATTRIBUTES",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_PROTOCOL",
  "OTEL_TRACES_SAMPLER",
  "OTEL_TRACES_SAMPLER_ARG",
  "OTEL_METRICS_EXPORTER",
] as const;
export type LibraryEnvName = (typeof libraryEnvNames)[number];

/** Parses the broker's environment; throws EnvError naming the first bad variable. */
export const parseBrokerEnv = (environment: Readonly<Record<string, string | undefined>>) =>
  parseEnv(brokerEnvSchema, environment);

/**
 * HERALD_* variables this broker does not know. A newer operator may render variables an older
 * broker image lacks, so they are reported, never fatal.
 */
export const unknownBrokerVariables = (environment: Readonly<Record<string, string | undefined>>) =>
  unknownVariables(brokerEnvSchema, environment, "HERALD_");

/** The text of each given value, encoded exactly as the broker will parse it. */
export const renderBrokerEnv = (
  values: Partial<BrokerEnv>,
): Partial<Record<BrokerEnvName, string>> => renderEnv(brokerEnvSchema, values);

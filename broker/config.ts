/**
 * Broker configuration from its environment, parsed by the shared schema in
 * contract/broker-env.ts. A bad value becomes one line naming the variable,
 * which main prints before exiting with code 2.
 */
import { hostname } from "node:os";
import { type BrokerEnv, parseBrokerEnv } from "../contract/broker-env.ts";
import type { Membership } from "../contract/membership.ts";
import { EnvError } from "../lib/process/env.ts";
import type { HostPort } from "../lib/process/host-port.ts";
import type { LogLevel } from "../lib/process/logger.ts";
import type { PendingBytesLimits } from "./server/pending-bytes.ts";

export type StoreConfig =
  | { readonly kind: "memory"; readonly maxMessagesPerSubject: number }
  | { readonly kind: "postgres"; readonly url: string; readonly schema: string | undefined }
  | {
      readonly kind: "cassandra";
      readonly contactPoints: readonly string[];
      readonly localDataCenter: string;
      readonly keyspace: string;
      readonly username: string | undefined;
      readonly password: string | undefined;
      /** Of the keyspace the broker creates when it is missing. */
      readonly replicationFactor: number;
    };

/** Where the cluster membership comes from (docs/architecture.md#cluster-protocol). */
export type MembershipConfig =
  | {
      readonly kind: "static";
      /** HERALD_CLUSTER_MEMBERS; undefined = this broker alone. */
      readonly members: Membership | undefined;
    }
  | { readonly kind: "kubernetes"; readonly namespace: string; readonly configMap: string };

export interface ClusterConfig {
  /** This member's name in the membership (POD_NAME). */
  readonly self: string;
  readonly membership: MembershipConfig;
  /** Bounded wait for a handoff answer; past it a silent member counts as gone. */
  readonly handoffTimeoutMs: number;
  /** Deadline of a call forwarded to a subject's owner. */
  readonly forwardTimeoutMs: number;
  /** HERALD_CLUSTER_ADDR: the listener for calls between members; absent: the gRPC port serves them. */
  readonly listenAddress?: HostPort;
  /** The variable that set `listenAddress`, named when it cannot be bound. */
  readonly listenVariable?: "HERALD_CLUSTER_ADDR" | "HERALD_WORKER_CLUSTER_ADDR";
}

/** Several broker processes in one pod (docs/architecture.md#workers). */
export interface WorkersConfig {
  /** HERALD_WORKERS: 1 = this process serves alone. */
  readonly count: number;
  /** HERALD_WORKER_INDEX: set on a worker by the primary that started it. */
  readonly index: number | undefined;
  /** Worker i's own gRPC listener is this address with port + i. */
  readonly grpcBase: HostPort;
  /** Worker i's cluster listener is this address with port + i. */
  readonly clusterBase: HostPort;
}

/** The HTTP/WebSocket gateway (broker/README.md#http-gateway). */
export interface WebConfig {
  readonly address: HostPort;
  /** Origins allowed by CORS; `*` allows any. */
  readonly corsOrigins: readonly string[];
  /** Event streams, WebSockets and their subscriptions and consumers at most. */
  readonly maxStreams: number;
}

export interface BrokerConfig {
  readonly grpcAddress: HostPort;
  readonly httpAddress: HostPort;
  /** Undefined: no gateway. */
  readonly web: WebConfig | undefined;
  readonly store: StoreConfig;
  readonly batch: { readonly maxSize: number; readonly maxDelayMs: number };
  /** How long a stored idempotency key answers duplicate publishes. */
  readonly dedupWindowMs: number;
  readonly maxMessageBytes: number;
  /** Messages queued for one subscriber before its stream ends with RESOURCE_EXHAUSTED. */
  readonly subscriberBufferSize: number;
  /** Un-acked messages per PublishStream before the server stops reading it. */
  readonly publishStreamMaxInflight: number;
  /** Un-acked body bytes per PublishStream before the server stops reading it. */
  readonly publishStreamMaxInflightBytes: number;
  /** Upper bound on any single store call; past it the call fails with UNAVAILABLE. */
  readonly storeTimeoutMs: number;
  readonly purgeIntervalMs: number;
  /** 0 = unlimited. A finite age makes clients reconnect, spreading them over pods. */
  readonly maxConnectionAgeMs: number;
  /** 0 = never. Closes connections that hold no call, so idle clients cannot pile up. */
  readonly maxConnectionIdleMs: number;
  /** Concurrent calls per gRPC connection. */
  readonly maxConcurrentStreams: number;
  /** Publish body bytes held before they are stored: by the broker, and by one connection. */
  readonly pendingBytes: PendingBytesLimits;
  /** Pings find dead peers: every `timeMs` (0 = never), each answered within `timeoutMs`. */
  readonly keepalive: { readonly timeMs: number; readonly timeoutMs: number };
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
  readonly cluster: ClusterConfig;
  readonly workers: WorkersConfig;
  readonly retention: RetentionConfig;
  readonly security: SecurityConfig;
}

/** TLS of the gRPC port and of calls between members (broker/README.md#security). */
export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  /** Clients must present a certificate signed by this CA. */
  readonly clientCaFile: string | undefined;
  /** Members' certificates are signed by this CA; only its certificates may forward. */
  readonly clusterCaFile: string | undefined;
}

/** JWT bearer tokens of one issuer. */
export interface JwtConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks:
    | { readonly kind: "file"; readonly path: string }
    | { readonly kind: "url"; readonly url: string; readonly caFile: string | undefined };
  /** Claim holding the token's permissions, in the auth file's shape. */
  readonly permissionsClaim: string;
}

/** TLS and authentication; with neither an auth file nor a JWT issuer, calls are not authenticated. */
export interface SecurityConfig {
  readonly tls: TlsConfig | undefined;
  readonly authFile: string | undefined;
  readonly jwt: JwtConfig | undefined;
  /** Longest a change of a certificate, auth or JWKS file goes unnoticed (a file watch is faster). */
  readonly reloadIntervalMs: number;
}

/** Reload bound of the security files: a rotated certificate is served within seconds. */
const securityReloadIntervalMs = 2000;

/** Expiry bounds from spec.retention; see broker/README.md#retention. */
export interface RetentionConfig {
  /** Applied to a publish with expirationSeconds 0; undefined = maxExpirationSeconds, else never; 0 = never. */
  readonly defaultExpirationSeconds: number | undefined;
  /** Longest expiry a publish may ask for; undefined = no limit. */
  readonly maxExpirationSeconds: number | undefined;
}

type Env = BrokerEnv;

function required<N extends "HERALD_POSTGRES_URL" | "HERALD_CASSANDRA_CONTACT_POINTS">(
  env: Env,
  name: N,
): NonNullable<Env[N]> {
  const value = env[name];
  if (value === undefined) {
    throw new EnvError(name, `required when HERALD_STORE=${env.HERALD_STORE}`);
  }
  return value;
}

function storeConfig(env: Env): StoreConfig {
  switch (env.HERALD_STORE) {
    case "memory":
      return { kind: "memory", maxMessagesPerSubject: env.HERALD_MEMORY_MAX_MESSAGES_PER_SUBJECT };
    case "postgres":
      return {
        kind: "postgres",
        url: required(env, "HERALD_POSTGRES_URL"),
        schema: env.HERALD_POSTGRES_SCHEMA,
      };
    case "cassandra":
      return {
        kind: "cassandra",
        contactPoints: required(env, "HERALD_CASSANDRA_CONTACT_POINTS"),
        localDataCenter: env.HERALD_CASSANDRA_LOCAL_DC,
        keyspace: env.HERALD_CASSANDRA_KEYSPACE,
        username: env.HERALD_CASSANDRA_USERNAME,
        password: env.HERALD_CASSANDRA_PASSWORD,
        replicationFactor: env.HERALD_CASSANDRA_REPLICATION_FACTOR,
      };
  }
}

function membershipConfig(env: Env): MembershipConfig {
  if (env.HERALD_MEMBERSHIP_CONFIGMAP === undefined) {
    return { kind: "static", members: env.HERALD_CLUSTER_MEMBERS };
  }
  if (env.POD_NAMESPACE === undefined) {
    throw new EnvError("POD_NAMESPACE", "required when HERALD_MEMBERSHIP_CONFIGMAP is set");
  }
  return {
    kind: "kubernetes",
    namespace: env.POD_NAMESPACE,
    configMap: env.HERALD_MEMBERSHIP_CONFIGMAP,
  };
}

function tlsConfig(env: Env): TlsConfig | undefined {
  const certFile = env.HERALD_TLS_CERT_FILE;
  const keyFile = env.HERALD_TLS_KEY_FILE;
  if (certFile === undefined || keyFile === undefined) {
    if (certFile !== undefined)
      throw new EnvError("HERALD_TLS_KEY_FILE", "required with HERALD_TLS_CERT_FILE");
    if (keyFile !== undefined)
      throw new EnvError("HERALD_TLS_CERT_FILE", "required with HERALD_TLS_KEY_FILE");
    for (const name of ["HERALD_TLS_CLIENT_CA_FILE", "HERALD_TLS_CLUSTER_CA_FILE"] as const) {
      if (env[name] !== undefined)
        throw new EnvError(name, "needs HERALD_TLS_CERT_FILE and HERALD_TLS_KEY_FILE");
    }
    return undefined;
  }
  return {
    certFile,
    keyFile,
    clientCaFile: env.HERALD_TLS_CLIENT_CA_FILE,
    clusterCaFile: env.HERALD_TLS_CLUSTER_CA_FILE,
  };
}

function jwtConfig(env: Env): JwtConfig | undefined {
  const issuer = env.HERALD_JWT_ISSUER;
  if (issuer === undefined) {
    for (const name of [
      "HERALD_JWT_AUDIENCE",
      "HERALD_JWT_JWKS_FILE",
      "HERALD_JWT_JWKS_URL",
    ] as const) {
      if (env[name] !== undefined) throw new EnvError(name, "needs HERALD_JWT_ISSUER");
    }
    return undefined;
  }
  const { HERALD_JWT_JWKS_FILE: path, HERALD_JWT_JWKS_URL: url } = env;
  const audience = env.HERALD_JWT_AUDIENCE;
  if (audience === undefined) {
    throw new EnvError("HERALD_JWT_AUDIENCE", "required with HERALD_JWT_ISSUER");
  }
  const permissionsClaim = env.HERALD_JWT_PERMISSIONS_CLAIM;
  if (path !== undefined && url !== undefined) {
    throw new EnvError("HERALD_JWT_JWKS_URL", "set it or HERALD_JWT_JWKS_FILE, not both");
  }
  if (url === undefined) {
    if (path === undefined) {
      throw new EnvError(
        "HERALD_JWT_JWKS_FILE",
        "required with HERALD_JWT_ISSUER (or HERALD_JWT_JWKS_URL)",
      );
    }
    if (env.HERALD_JWT_JWKS_CA_FILE !== undefined) {
      throw new EnvError("HERALD_JWT_JWKS_CA_FILE", "needs HERALD_JWT_JWKS_URL");
    }
    return { issuer, audience, jwks: { kind: "file", path }, permissionsClaim };
  }
  if (!URL.canParse(url)) {
    throw new EnvError("HERALD_JWT_JWKS_URL", `expected a URL, got ${JSON.stringify(url)}`);
  }
  return {
    issuer,
    audience,
    jwks: { kind: "url", url, caFile: env.HERALD_JWT_JWKS_CA_FILE },
    permissionsClaim,
  };
}

function workersConfig(env: Env): WorkersConfig {
  const count = env.HERALD_WORKERS;
  if (count > 1) {
    if (env.HERALD_CLUSTER_ADDR !== undefined) {
      throw new EnvError(
        "HERALD_CLUSTER_ADDR",
        "unset it with HERALD_WORKERS > 1: worker i listens on HERALD_WORKER_CLUSTER_ADDR's port + i",
      );
    }
    for (const name of ["HERALD_WORKER_GRPC_ADDR", "HERALD_WORKER_CLUSTER_ADDR"] as const) {
      const { port } = env[name];
      if (port === 0 || port + count - 1 > 65_535) {
        throw new EnvError(
          name,
          `needs ports ${port} to ${port + count - 1} for ${count} workers: a port from 1 to ${65_536 - count}`,
        );
      }
    }
  }
  if (env.HERALD_WORKER_INDEX !== undefined && env.HERALD_WORKER_INDEX >= count) {
    throw new EnvError("HERALD_WORKER_INDEX", `must be below HERALD_WORKERS (${count})`);
  }
  return {
    count,
    index: env.HERALD_WORKER_INDEX,
    grpcBase: env.HERALD_WORKER_GRPC_ADDR,
    clusterBase: env.HERALD_WORKER_CLUSTER_ADDR,
  };
}

/** Parses the environment; throws EnvError whose message names the first bad variable. */
export function loadConfig(
  environment: Readonly<Record<string, string | undefined>>,
): BrokerConfig {
  const env = parseBrokerEnv(environment);
  return {
    grpcAddress: env.HERALD_GRPC_ADDR,
    httpAddress: env.HERALD_HTTP_ADDR,
    web:
      env.HERALD_WEB_ADDR === undefined
        ? undefined
        : {
            address: env.HERALD_WEB_ADDR,
            corsOrigins: env.HERALD_WEB_CORS_ORIGINS ?? [],
            maxStreams: env.HERALD_WEB_MAX_STREAMS,
          },
    store: storeConfig(env),
    batch: { maxSize: env.HERALD_BATCH_MAX_SIZE, maxDelayMs: env.HERALD_BATCH_MAX_DELAY_MS },
    dedupWindowMs: env.HERALD_DEDUP_WINDOW_SECONDS * 1000,
    maxMessageBytes: env.HERALD_MAX_MESSAGE_BYTES,
    subscriberBufferSize: env.HERALD_SUBSCRIBER_BUFFER,
    publishStreamMaxInflight: env.HERALD_PUBLISH_STREAM_MAX_INFLIGHT,
    publishStreamMaxInflightBytes: env.HERALD_PUBLISH_STREAM_MAX_INFLIGHT_BYTES,
    storeTimeoutMs: env.HERALD_STORE_TIMEOUT_MS,
    purgeIntervalMs: env.HERALD_PURGE_INTERVAL_MS,
    maxConnectionAgeMs: env.HERALD_MAX_CONNECTION_AGE_MS,
    maxConnectionIdleMs: env.HERALD_MAX_CONNECTION_IDLE_MS,
    maxConcurrentStreams: env.HERALD_MAX_CONCURRENT_STREAMS,
    pendingBytes: {
      maxBytes: env.HERALD_MAX_PENDING_BYTES,
      maxConnectionBytes: env.HERALD_MAX_CONNECTION_PENDING_BYTES,
    },
    keepalive: { timeMs: env.HERALD_KEEPALIVE_TIME_MS, timeoutMs: env.HERALD_KEEPALIVE_TIMEOUT_MS },
    shutdownGraceMs: env.HERALD_SHUTDOWN_GRACE_MS,
    logLevel: env.HERALD_LOG_LEVEL,
    retention: {
      defaultExpirationSeconds: env.HERALD_DEFAULT_EXPIRATION_SECONDS,
      maxExpirationSeconds: env.HERALD_MAX_EXPIRATION_SECONDS,
    },
    security: {
      tls: tlsConfig(env),
      authFile: env.HERALD_AUTH_FILE,
      jwt: jwtConfig(env),
      reloadIntervalMs: securityReloadIntervalMs,
    },
    cluster: {
      self: env.POD_NAME ?? hostname(),
      membership: membershipConfig(env),
      handoffTimeoutMs: env.HERALD_HANDOFF_TIMEOUT_MS,
      listenAddress: env.HERALD_CLUSTER_ADDR,
      listenVariable: "HERALD_CLUSTER_ADDR",
      forwardTimeoutMs: env.HERALD_FORWARD_TIMEOUT_MS,
    },
    workers: workersConfig(env),
  };
}

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
}

export interface BrokerConfig {
  readonly grpcAddress: HostPort;
  readonly httpAddress: HostPort;
  readonly store: StoreConfig;
  readonly batch: { readonly maxSize: number; readonly maxDelayMs: number };
  readonly maxMessageBytes: number;
  /** Messages queued for one subscriber before its stream ends with RESOURCE_EXHAUSTED. */
  readonly subscriberBufferSize: number;
  /** Un-acked messages per PublishStream before the server stops reading it. */
  readonly publishStreamMaxInflight: number;
  /** Upper bound on any single store call; past it the call fails with UNAVAILABLE. */
  readonly storeTimeoutMs: number;
  readonly purgeIntervalMs: number;
  /** 0 = unlimited. A finite age makes clients reconnect, spreading them over pods. */
  readonly maxConnectionAgeMs: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
  readonly cluster: ClusterConfig;
  readonly retention: RetentionConfig;
}

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

/** Parses the environment; throws EnvError whose message names the first bad variable. */
export function loadConfig(
  environment: Readonly<Record<string, string | undefined>>,
): BrokerConfig {
  const env = parseBrokerEnv(environment);
  return {
    grpcAddress: env.HERALD_GRPC_ADDR,
    httpAddress: env.HERALD_HTTP_ADDR,
    store: storeConfig(env),
    batch: { maxSize: env.HERALD_BATCH_MAX_SIZE, maxDelayMs: env.HERALD_BATCH_MAX_DELAY_MS },
    maxMessageBytes: env.HERALD_MAX_MESSAGE_BYTES,
    subscriberBufferSize: env.HERALD_SUBSCRIBER_BUFFER,
    publishStreamMaxInflight: env.HERALD_PUBLISH_STREAM_MAX_INFLIGHT,
    storeTimeoutMs: env.HERALD_STORE_TIMEOUT_MS,
    purgeIntervalMs: env.HERALD_PURGE_INTERVAL_MS,
    maxConnectionAgeMs: env.HERALD_MAX_CONNECTION_AGE_MS,
    shutdownGraceMs: env.HERALD_SHUTDOWN_GRACE_MS,
    logLevel: env.HERALD_LOG_LEVEL,
    retention: {
      defaultExpirationSeconds: env.HERALD_DEFAULT_EXPIRATION_SECONDS,
      maxExpirationSeconds: env.HERALD_MAX_EXPIRATION_SECONDS,
    },
    cluster: {
      self: env.POD_NAME ?? hostname(),
      membership: membershipConfig(env),
      handoffTimeoutMs: env.HERALD_HANDOFF_TIMEOUT_MS,
      forwardTimeoutMs: env.HERALD_FORWARD_TIMEOUT_MS,
    },
  };
}

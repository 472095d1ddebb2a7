/**
 * Broker configuration from HERALD_* environment variables . Every
 * variable is parsed by zod; a bad value becomes one line naming the variable,
 * which main prints before exiting with code 2.
 */
import { hostname } from "node:os";
import { z } from "zod";
import type { HostPort } from "../lib/process/host-port.ts";
import { type LogLevel, logLevels } from "../lib/process/logger.ts";
import {
  type Membership,
  MembershipFormatError,
  parseStaticMembers,
} from "./cluster/membership/membership.ts";

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

/** A configuration error; its message is the single line to print. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const unset = (raw: string | undefined): raw is undefined => raw === undefined || raw === "";
const got = (raw: string) => `got ${JSON.stringify(raw)}`;

/** A decimal integer of at least `min`, or an issue naming what was expected. */
function integerValue(raw: string, min: 0 | 1, ctx: z.RefinementCtx): number {
  const expected = min === 1 ? "a positive integer" : "a non-negative integer";
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    ctx.addIssue({ code: "custom", message: `expected ${expected}, ${got(raw)}` });
    return z.NEVER;
  }
  return value;
}

function integer(fallback: number, min: 0 | 1) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => (unset(raw) ? fallback : integerValue(raw, min, ctx)));
}

function optionalInteger(min: 0 | 1) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => (unset(raw) ? undefined : integerValue(raw, min, ctx)));
}

function hostPort(fallback: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): HostPort => {
      const text = unset(raw) ? fallback : raw;
      const match = /^(.+):(\d{1,5})$/.exec(text);
      const port = Number(match?.[2]);
      if (!match?.[1] || port > 65535) {
        ctx.addIssue({ code: "custom", message: `expected host:port, ${got(text)}` });
        return z.NEVER;
      }
      return { host: match[1].replace(/^\[(.*)\]$/, "$1"), port };
    });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T[number] => {
      if (unset(raw)) return fallback;
      const found = values.find((value) => value === raw);
      if (found === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `expected one of ${values.join("|")}, ${got(raw)}`,
        });
        return z.NEVER;
      }
      return found;
    });
}

/** A lowercase SQL/CQL identifier (schema, keyspace); unset = the store's default. */
const optionalIdentifier = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (unset(raw)) return undefined;
    if (!/^[a-z_][a-z0-9_]{0,47}$/.test(raw)) {
      ctx.addIssue({
        code: "custom",
        message: `expected a lowercase identifier (a-z, 0-9, _), ${got(raw)}`,
      });
      return z.NEVER;
    }
    return raw;
  });

const optionalText = z
  .string()
  .optional()
  .transform((raw) => (unset(raw) ? undefined : raw));

const EnvSchema = z.object({
  HERALD_GRPC_ADDR: hostPort("0.0.0.0:50051"),
  HERALD_HTTP_ADDR: hostPort("0.0.0.0:9464"),
  HERALD_STORE: oneOf(["memory", "postgres", "cassandra"], "memory"),
  HERALD_POSTGRES_URL: optionalText,
  HERALD_POSTGRES_SCHEMA: optionalIdentifier,
  HERALD_CASSANDRA_CONTACT_POINTS: optionalText,
  HERALD_CASSANDRA_LOCAL_DC: optionalText,
  HERALD_CASSANDRA_KEYSPACE: optionalIdentifier,
  HERALD_CASSANDRA_USERNAME: optionalText,
  HERALD_CASSANDRA_PASSWORD: optionalText,
  HERALD_MEMORY_MAX_MESSAGES_PER_SUBJECT: integer(100_000, 1),
  HERALD_BATCH_MAX_SIZE: integer(1000, 1),
  HERALD_BATCH_MAX_DELAY_MS: integer(5, 0),
  HERALD_MAX_MESSAGE_BYTES: integer(4 * 1024 * 1024, 1),
  HERALD_SUBSCRIBER_BUFFER: integer(1024, 1),
  HERALD_PUBLISH_STREAM_MAX_INFLIGHT: integer(1024, 1),
  HERALD_STORE_TIMEOUT_MS: integer(5000, 1),
  HERALD_PURGE_INTERVAL_MS: integer(60_000, 1),
  HERALD_MAX_CONNECTION_AGE_MS: integer(300_000, 0),
  HERALD_SHUTDOWN_GRACE_MS: integer(20_000, 1),
  HERALD_LOG_LEVEL: oneOf(logLevels, "info"),
  POD_NAME: optionalText,
  POD_NAMESPACE: optionalText,
  HERALD_MEMBERSHIP_CONFIGMAP: optionalText,
  HERALD_CLUSTER_MEMBERS: z
    .string()
    .optional()
    .transform((raw, ctx): Membership | undefined => {
      if (unset(raw)) return undefined;
      try {
        return parseStaticMembers(raw);
      } catch (err) {
        if (!(err instanceof MembershipFormatError)) throw err;
        ctx.addIssue({ code: "custom", message: err.message });
        return z.NEVER;
      }
    }),
  HERALD_HANDOFF_TIMEOUT_MS: integer(5000, 1),
  HERALD_DEFAULT_EXPIRATION_SECONDS: optionalInteger(0),
  HERALD_MAX_EXPIRATION_SECONDS: optionalInteger(1),
  HERALD_FORWARD_TIMEOUT_MS: integer(10_000, 1),
});
type Env = z.output<typeof EnvSchema>;

function required(env: Env, name: keyof Env & `HERALD_${string}`): string {
  const value = env[name];
  if (typeof value !== "string") {
    throw new ConfigError(`${name}: required when HERALD_STORE=${env.HERALD_STORE}`);
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
        contactPoints: required(env, "HERALD_CASSANDRA_CONTACT_POINTS")
          .split(",")
          .map((point) => point.trim())
          .filter((point) => point !== ""),
        localDataCenter: env.HERALD_CASSANDRA_LOCAL_DC ?? "datacenter1",
        keyspace: env.HERALD_CASSANDRA_KEYSPACE ?? "herald",
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
    throw new ConfigError("POD_NAMESPACE: required when HERALD_MEMBERSHIP_CONFIGMAP is set");
  }
  return {
    kind: "kubernetes",
    namespace: env.POD_NAMESPACE,
    configMap: env.HERALD_MEMBERSHIP_CONFIGMAP,
  };
}

/** Parses the environment; throws ConfigError whose message names the first bad variable. */
export function loadConfig(environment: NodeJS.ProcessEnv): BrokerConfig {
  const parsed = EnvSchema.safeParse(environment);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `${issue?.path.join(".") ?? "environment"}: ${issue?.message ?? "invalid"}`,
    );
  }
  const env = parsed.data;
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

import { hostname } from "node:os";
import { z } from "zod";
import {
  envBoolean,
  envEnum,
  envHostPort,
  envInteger,
  envList,
  envText,
  envTimerSeconds,
  parseEnv,
} from "../../lib/process/env.ts";
import { logLevels } from "../../lib/process/logger.ts";
import { defaultImages } from "../render/index.ts";

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The operator's environment; each key is the variable a bad value is reported under. */
const envSchema = z.object({
  KUBECONFIG: z.string().optional(),
  /** Unset: every namespace. */
  WATCH_NAMESPACE: envList()
    .check((ctx) => {
      const bad = ctx.value.find((namespace) => !dnsLabel.test(namespace));
      if (bad !== undefined) {
        ctx.issues.push({
          code: "custom",
          message: `${JSON.stringify(bad)} is not a namespace name`,
          input: ctx.value,
        });
      }
    })
    .default([]),
  HERALD_BROKER_IMAGE: envText().default("herald-broker:0.1.0"),
  HERALD_ENVOY_IMAGE: envText().default(defaultImages.envoy),
  HERALD_POSTGRES_IMAGE: envText().default(defaultImages.postgres),
  HERALD_CASSANDRA_IMAGE: envText().default(defaultImages.cassandra),
  HERALD_CLUSTER_DOMAIN: envText().default("cluster.local"),
  HERALD_HTTP_ADDR: envHostPort().default({ host: "0.0.0.0", port: 8080 }),
  HERALD_LOG_LEVEL: envEnum(logLevels).default("info"),
  /** Parallel reconciles; at most 64, so a typo cannot flood the API server with calls. */
  HERALD_MAX_CONCURRENT_RECONCILES: envInteger(1, 64).default(4),
  /** A scale step waiting longer than this sets Degraded=True/ScalingStalled (it keeps waiting). */
  HERALD_SCALING_STALL_AFTER_SECONDS: envTimerSeconds(1).default(300),
  LEADER_ELECTION: envBoolean().default(true),
  /** Unset: the operator's own namespace. */
  LEADER_ELECTION_NAMESPACE: envText().optional(),
  LEADER_ELECTION_NAME: envText().default("herald-operator"),
  /** Identity in the Lease and in Events: the pod name (downward API) or the host name. */
  POD_NAME: envText().default(hostname()),
});

export type OperatorConfig = z.infer<typeof envSchema>;

/** Parses the operator's environment; throws EnvError naming the first bad variable. */
export const loadConfig = (env: Readonly<Record<string, string | undefined>>): OperatorConfig =>
  parseEnv(envSchema, env);

import { hostname } from "node:os";
import { z } from "zod";
import { logLevels } from "../../lib/process/logger.ts";
import { defaultImages } from "../render/index.ts";

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const text = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((raw) => (raw === undefined || raw === "" ? fallback : raw));

const bool = (fallback: boolean) =>
  z
    .enum(["true", "false", ""])
    .optional()
    .transform((raw) => (raw === undefined || raw === "" ? fallback : raw === "true"));

const hostPort = (fallback: string) =>
  text(fallback).transform((raw, ctx) => {
    const match = /^(.*):(\d{1,5})$/.exec(raw);
    const port = Number(match?.[2]);
    if (!match || port > 65535) {
      ctx.addIssue({ code: "custom", message: `expected host:port, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return { host: match[1] || "0.0.0.0", port };
  });

const positiveInt = (fallback: number) =>
  text(String(fallback)).transform((raw, ctx) => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < 1) {
      ctx.addIssue({
        code: "custom",
        message: `expected a positive integer, got ${JSON.stringify(raw)}`,
      });
      return z.NEVER;
    }
    return value;
  });

/** The operator's environment; each key is the variable a bad value is reported under. */
const envSchema = z.object({
  KUBECONFIG: z.string().optional(),
  WATCH_NAMESPACE: text("").transform((raw, ctx) => {
    const namespaces = raw
      .split(",")
      .map((namespace) => namespace.trim())
      .filter((namespace) => namespace !== "");
    const bad = namespaces.find((namespace) => !dnsLabel.test(namespace));
    if (bad !== undefined) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(bad)} is not a namespace name` });
      return z.NEVER;
    }
    return namespaces;
  }),
  HERALD_BROKER_IMAGE: text("herald-broker:0.1.0"),
  HERALD_ENVOY_IMAGE: text(defaultImages.envoy),
  HERALD_POSTGRES_IMAGE: text(defaultImages.postgres),
  HERALD_CASSANDRA_IMAGE: text(defaultImages.cassandra),
  HERALD_CLUSTER_DOMAIN: text("cluster.local"),
  HERALD_HTTP_ADDR: hostPort("0.0.0.0:8080"),
  HERALD_LOG_LEVEL: z.enum(logLevels).default("info"),
  HERALD_MAX_CONCURRENT_RECONCILES: positiveInt(4),
  /** A scale step waiting longer than this sets Degraded=True/ScalingStalled (it keeps waiting). */
  HERALD_SCALING_STALL_AFTER_SECONDS: positiveInt(300),
  LEADER_ELECTION: bool(true),
  LEADER_ELECTION_NAMESPACE: text(""),
  LEADER_ELECTION_NAME: text("herald-operator"),
  /** Identity in the Lease and in Events: the pod name (downward API) or the host name. */
  POD_NAME: text(hostname()),
});

export type OperatorConfig = z.infer<typeof envSchema>;

/** A configuration error; its message is the one line to print. */
export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined>): OperatorConfig {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const variable = String(issue?.path[0] ?? "environment");
  throw new ConfigError(`${variable}: ${issue?.message ?? "invalid value"}`);
}

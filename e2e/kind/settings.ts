/**
 * What `make e2e-kind` and the kind provider agree on: which cluster, where the chart installs
 * the operator, and the tag of the images loaded into the cluster.
 */
import { z } from "zod";
import { EnvError } from "../../testing/env-error.ts";
import { imageRepositories, type Program } from "../images/build.ts";

const SettingsEnvSchema = z.object({
  // kind's own rule for cluster names: they become container and kubeconfig context names.
  HERALD_KIND_CLUSTER: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "lower-case letters, digits and '-'")
    .default("herald-e2e"),
  HERALD_KIND_KEEP: z
    .string()
    .optional()
    .transform((value) => value === "1"),
});

export interface KindSettings {
  cluster: string;
  /** Leave the cluster running afterwards. */
  keep: boolean;
}

export function kindSettings(env: NodeJS.ProcessEnv = process.env): KindSettings {
  const parsed = SettingsEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EnvError(String(issue?.path[0]), issue?.message ?? "invalid", "fix or unset it");
  }
  return { cluster: parsed.data.HERALD_KIND_CLUSTER, keep: parsed.data.HERALD_KIND_KEEP };
}

/** The kubeconfig context `kind create cluster` writes. */
export const kindContext = (cluster: string): string => `kind-${cluster}`;

/** The chart's release; its Deployment and pods are named after it. */
export const operatorRelease = { name: "herald", namespace: "herald-system" } as const;

/** The chart's selector labels of the operator pods. */
export const operatorSelector = `app.kubernetes.io/instance=${operatorRelease.name},app.kubernetes.io/component=operator`;

/** The tag of the images built for, and loaded into, the kind cluster. */
export const imageTag = "e2e";

export const kindImage = (program: Program): string => `${imageRepositories[program]}:${imageTag}`;

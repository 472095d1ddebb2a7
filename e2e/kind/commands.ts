/** Argument lists of the kind, docker, helm and kubectl calls of the kind e2e; pure. */
import { imageRepositories } from "../images/build.ts";
import { imageTag, kindContext, kindImage, operatorRelease } from "./settings.ts";

export const kindCreateArgs = (cluster: string): string[] => [
  "create",
  "cluster",
  "--name",
  cluster,
  "--wait",
  "180s",
];

export const kindDeleteArgs = (cluster: string): string[] => [
  "delete",
  "cluster",
  "--name",
  cluster,
];

export const kindLoadArgs = (cluster: string): string[] => [
  "load",
  "docker-image",
  kindImage("broker"),
  kindImage("operator"),
  "--name",
  cluster,
];

export const kindExportLogsArgs = (cluster: string, dir: string): string[] => [
  "export",
  "logs",
  dir,
  "--name",
  cluster,
];

/**
 * The chart's values for the images just loaded into the node. Never pull the operator: a failed
 * `kind load` then shows as ErrImageNeverPull, not as a pull from a registry. Broker pods keep
 * the default policy, IfNotPresent for a tag other than latest.
 */
export function helmImageValues(): string[] {
  const values = {
    "image.repository": imageRepositories.operator,
    "image.tag": imageTag,
    "image.pullPolicy": "Never",
    "broker.image.repository": imageRepositories.broker,
    "broker.image.tag": imageTag,
  };
  return Object.entries(values).map(([key, value]) => `--set-string=${key}=${value}`);
}

export const helmInstallArgs = (cluster: string, chartDir: string): string[] => [
  "upgrade",
  "--install",
  operatorRelease.name,
  chartDir,
  "--kube-context",
  kindContext(cluster),
  "--namespace",
  operatorRelease.namespace,
  "--create-namespace",
  ...helmImageValues(),
  "--wait",
  "--timeout",
  "5m",
];

export const kubectlArgs = (
  cluster: string,
  namespace: string,
  args: readonly string[],
): string[] => ["--context", kindContext(cluster), "-n", namespace, ...args];

/** A forward from an ephemeral port on 127.0.0.1 only (kubectl would also listen on [::1]). */
export const portForwardArgs = (
  cluster: string,
  namespace: string,
  pod: string,
  port: number,
): string[] =>
  kubectlArgs(cluster, namespace, [
    "port-forward",
    "--address",
    "127.0.0.1",
    `pod/${pod}`,
    `:${port}`,
  ]);

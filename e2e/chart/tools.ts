/**
 * helm and kubectl of the test environment, run against its API server, for the chart tests.
 * Every call is bounded in time and reports exit code and output instead of throwing, so a
 * test can assert that a command fails and how.
 */
import { spawn } from "node:child_process";
import { parseAllDocuments } from "yaml";
import type { TestEnv } from "../../testing/test-env.ts";

export const chartDir = new URL("../../charts/herald/", import.meta.url).pathname;
/** The API server's version, for offline `helm template` (Helm's default is far older). */
export const kubeVersion = "1.32.0";

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCommand(
  command: string,
  args: string[],
  options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

export function describeFailure(what: string, result: CommandResult): string {
  return `${what} exited ${String(result.code)}\n${result.stderr}\n${result.stdout.slice(0, 2000)}`;
}

export function helm(
  env: TestEnv,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  // A private Helm home, so tests neither read nor write the user's repositories and cache.
  const home = `${process.env.TMPDIR ?? "/tmp"}/herald-chart-tests-helm`;
  return runCommand(env.kube.helm, [`--kubeconfig=${env.kube.kubeconfig}`, ...args], {
    env: {
      HELM_CACHE_HOME: `${home}/cache`,
      HELM_CONFIG_HOME: `${home}/config`,
      HELM_DATA_HOME: `${home}/data`,
    },
    ...options,
  });
}

export function kubectl(env: TestEnv, args: string[], input?: string): Promise<CommandResult> {
  return runCommand(env.kube.kubectl, [`--kubeconfig=${env.kube.kubeconfig}`, ...args], { input });
}

/** `helm template` of the chart; `values` go in as a values file (types kept, unlike --set). */
export function helmTemplate(
  env: TestEnv,
  options: { release: string; namespace: string; values?: unknown },
): Promise<CommandResult> {
  return helm(
    env,
    [
      "template",
      options.release,
      chartDir,
      `--namespace=${options.namespace}`,
      `--kube-version=${kubeVersion}`,
      "--values=-",
    ],
    { input: JSON.stringify(options.values ?? {}) },
  );
}

/** A Kubernetes object as rendered; only the fields the tests look at are typed. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((object): object is Manifest => object !== null);
}

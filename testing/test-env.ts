import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { envFile } from "./paths.ts";

/** Connection facts of the running test environment, written by `make env-up`. */
export const TestEnvSchema = z.object({
  postgres: z.object({ url: z.string(), pid: z.number().int() }),
  cassandra: z.object({
    contactPoint: z.string(),
    port: z.number().int(),
    localDataCenter: z.string(),
    pid: z.number().int(),
  }),
  etcd: z.object({ url: z.string(), pid: z.number().int() }),
  kube: z.object({
    kubeconfig: z.string(),
    apiServerUrl: z.string(),
    apiServerPid: z.number().int(),
    controllerManagerPid: z.number().int(),
    /** Admin bearer token (also in the kubeconfig); lets tests mint scoped tokens. */
    adminToken: z.string(),
    /** PEM CA that signed the API server's certificate (also in the kubeconfig). */
    caFile: z.string(),
    /** JSON lines at Metadata level, RequestReceived omitted: one event per write request. */
    auditLog: z.string(),
    /** `iss` of service-account tokens; also the API server URL. */
    serviceAccountIssuer: z.string(),
    /** Absolute paths of a kubectl ≥ 1.30 and a helm v3. */
    kubectl: z.string(),
    helm: z.string(),
  }),
  prometheus: z.object({
    url: z.string(),
    /** Scrape configuration that tests may rewrite, then reload with POST `url`/-/reload. */
    configFile: z.string(),
    /** Drop `<name>.json` file-SD target lists here; Prometheus picks them up within ~1 s. */
    targetsDir: z.string(),
    pid: z.number().int(),
  }),
  certManager: z.object({
    version: z.string(),
    pid: z.number().int(),
    /** The controller's log: what it did with each Certificate, request and issuer. */
    logFile: z.string(),
    metricsUrl: z.string(),
    /** Where the Secrets that ClusterIssuers refer to must live. */
    clusterResourceNamespace: z.string(),
  }),
});
export type TestEnv = z.infer<typeof TestEnvSchema>;

export async function readTestEnv(path = envFile): Promise<TestEnv | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  const parsed = TestEnvSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

export async function writeTestEnv(env: TestEnv, path = envFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, `${JSON.stringify(env, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

import { constants } from "node:fs";
import { access, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import {
  ensureDir,
  portOpen,
  readPid,
  startDaemon,
  stopDaemon,
  waitUntil,
  type DaemonSpec,
} from "../daemon.ts";
import { EnvError } from "../../../testing/env-error.ts";
import type { TestEnv } from "../../../testing/test-env.ts";
import type { Part } from "../part.ts";
import { cacheDir, partDir } from "../../../testing/paths.ts";
import {
  ensureGoBinary,
  goBuildArgs,
  goInstallArgs,
  HELM_VERSION,
  kubectlMinor,
  kubeVersionStamps,
  moduleTime,
  wrapperVersions,
} from "./kube/go-build.ts";
import { ensurePki, ensureTokens, type Pki, type Tokens } from "./kube/pki.ts";
import { kubeconfig, writeIfChanged } from "./kube/kubeconfig.ts";
import { probe } from "./kube/probe.ts";

/**
 * kube-apiserver + kube-controller-manager 1.32, set up the way
 * controller-runtime's envtest does it (secure port, RBAC, a system:masters
 * token, service-account issuer and keys), plus the controllers that make
 * StatefulSets, garbage collection and service accounts real. No scheduler or
 * kubelet: the process kubelet of the local e2e plays that role.
 */
const part = "kube";
const host = "127.0.0.1";
export const APISERVER_PORT = 56443;
export const CONTROLLER_MANAGER_PORT = 51257;
const apiServerUrl = `https://${host}:${APISERVER_PORT}`;
const controllerManagerUrl = `https://${host}:${CONTROLLER_MANAGER_PORT}`;
/**
 * Nothing routes this range; it only feeds ClusterIP allocation. A /16 leaves
 * room for the hundreds of brokers the operator benchmark creates.
 */
const serviceCidr = "10.0.0.0/16";
const kubernetesServiceIp = "10.0.0.1";

const dir = partDir("kube");
const files = {
  kubeconfig: join(dir, "kubeconfig"),
  controllerManagerKubeconfig: join(dir, "controller-manager.kubeconfig"),
  tokens: join(dir, "tokens.json"),
  tokenAuthFile: join(dir, "token-auth.csv"),
  auditPolicy: join(dir, "audit-policy.yaml"),
  auditLog: join(dir, "audit.log"),
  buildLog: join(dir, "build.log"),
  pkiDir: join(dir, "pki"),
};
const apiServer = {
  part,
  pidFile: join(dir, "kube-apiserver.pid"),
  logFile: join(dir, "kube-apiserver.log"),
};
const controllerManager = {
  part,
  pidFile: join(dir, "kube-controller-manager.pid"),
  logFile: join(dir, "kube-controller-manager.log"),
};

/**
 * Controllers that tests and the operator rely on (canonical 1.32 names).
 * Left out on purpose: node lifecycle and pod GC (they would evict or delete
 * the process kubelet's pods on heartbeat hiccups) and volume controllers
 * (no storage here).
 */
const controllers = [
  "statefulset-controller",
  "garbage-collector-controller",
  "serviceaccount-controller",
  "serviceaccount-token-controller",
  "namespace-controller",
  "replicaset-controller",
  "deployment-controller",
  "root-ca-certificate-publisher-controller",
  "endpoints-controller",
  "endpointslice-controller",
  "job-controller",
  "disruption-controller",
  "clusterrole-aggregation-controller",
];

export interface KubeBinaries {
  apiServer: string;
  controllerManager: string;
  kubectl: string;
  helm: string;
}

/** A Kubernetes command built from the wrapper module into the version-keyed cache. */
export async function kubeBinary(
  name: string,
  envVar: string,
  pkg: string,
  versionArgs?: string[],
): Promise<string> {
  const { kube } = await wrapperVersions();
  return ensureGoBinary({
    part,
    name,
    envVar,
    binDir: join(cacheDir, `kube-${kube}`, "bin"),
    logFile: files.buildLog,
    goArgs: async (out) =>
      goBuildArgs(
        out,
        pkg,
        kubeVersionStamps(kube, await moduleTime(part, "k8s.io/kubernetes", files.buildLog)),
      ),
    expectVersion: kube,
    versionArgs,
    needsWrapperModules: true,
  });
}

/** First executable `name` on PATH, as an absolute path. */
async function onPath(name: string): Promise<string | undefined> {
  for (const d of (process.env.PATH ?? "").split(":").filter(Boolean)) {
    const candidate = join(d, name);
    const ok = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (ok) return candidate;
  }
  return undefined;
}

/** kubectl: HERALD_KUBECTL, else one on PATH that is at least 1.30, else built in the wrapper. */
async function kubectlBinary(): Promise<string> {
  if (!process.env.HERALD_KUBECTL) {
    const existing = await onPath("kubectl");
    if (existing && ((await kubectlMinor(existing)) ?? 0) >= 30) return existing;
  }
  return kubeBinary("kubectl", "HERALD_KUBECTL", "k8s.io/kubernetes/cmd/kubectl", [
    "version",
    "--client",
  ]);
}

async function helmBinary(): Promise<string> {
  return ensureGoBinary({
    part,
    name: "helm",
    envVar: "HERALD_HELM",
    binDir: join(cacheDir, `helm-${HELM_VERSION}`, "bin"),
    logFile: files.buildLog,
    // `go install pkg@version` builds helm with its own go.mod, outside the
    // wrapper; the -X stamp is what helm's Makefile sets for releases.
    goArgs: () =>
      goInstallArgs(`helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`, [
        `-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`,
      ]),
    standalone: true,
    expectVersion: HELM_VERSION,
    versionArgs: ["version", "--short"],
    needsWrapperModules: false,
  });
}

/** One at a time: concurrent Go builds would only thrash two cores. */
export async function kubeBinaries(): Promise<KubeBinaries> {
  const apiServerBin = await kubeBinary(
    "kube-apiserver",
    "HERALD_KUBE_APISERVER",
    "k8s.io/kubernetes/cmd/kube-apiserver",
  );
  const controllerManagerBin = await kubeBinary(
    "kube-controller-manager",
    "HERALD_KUBE_CONTROLLER_MANAGER",
    "k8s.io/kubernetes/cmd/kube-controller-manager",
  );
  const kubectl = await kubectlBinary();
  const helm = await helmBinary();
  return { apiServer: apiServerBin, controllerManager: controllerManagerBin, kubectl, helm };
}

async function writeConfigs(tokens: Tokens, pki: Pki): Promise<void> {
  const caPem = await readFile(pki.caCert, "utf8");
  await writeIfChanged(
    files.tokenAuthFile,
    [
      `${tokens.admin},herald-admin,herald-admin,"system:masters"`,
      // The identity the bootstrap RBAC policy grants the controller-manager.
      `${tokens.controllerManager},system:kube-controller-manager,system:kube-controller-manager`,
      "",
    ].join("\n"),
  );
  await writeIfChanged(
    files.kubeconfig,
    kubeconfig(apiServerUrl, "herald-admin", tokens.admin, caPem),
  );
  await writeIfChanged(
    files.controllerManagerKubeconfig,
    kubeconfig(apiServerUrl, "system:kube-controller-manager", tokens.controllerManager, caPem),
  );
  // Metadata for every request. Without the RequestReceived stage each write
  // is exactly one event (only watches add a ResponseStarted), so tests can
  // count the writes a component makes.
  await writeIfChanged(
    files.auditPolicy,
    stringify({
      apiVersion: "audit.k8s.io/v1",
      kind: "Policy",
      omitStages: ["RequestReceived"],
      rules: [{ level: "Metadata" }],
    }),
  );
}

async function assertPortFree(port: number): Promise<void> {
  if (await portOpen(host, port)) {
    throw new EnvError(
      part,
      `port ${host}:${port} is taken by a process this checkout did not start`,
      "stop it (`make env-down` in the checkout that started it, or kill that process)",
    );
  }
}

function apiServerArgs(etcdUrl: string, pki: Pki): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${host}`,
    // Loopback only: the `kubernetes` Service gets no endpoints (reconciler
    // none), so nothing ever looks for a routable address.
    `--advertise-address=${host}`,
    "--endpoint-reconciler-type=none",
    `--secure-port=${APISERVER_PORT}`,
    `--cert-dir=${files.pkiDir}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--token-auth-file=${files.tokenAuthFile}`,
    "--authorization-mode=Node,RBAC",
    `--service-account-issuer=${apiServerUrl}`,
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    `--service-cluster-ip-range=${serviceCidr}`,
    "--allow-privileged=true",
    `--audit-policy-file=${files.auditPolicy}`,
    `--audit-log-path=${files.auditLog}`,
    // Written before the response returns, so a test can count right after a call.
    "--audit-log-mode=blocking",
    "--profiling=false",
  ];
}

function controllerManagerArgs(pki: Pki): string[] {
  return [
    `--kubeconfig=${files.controllerManagerKubeconfig}`,
    `--bind-address=${host}`,
    `--secure-port=${CONTROLLER_MANAGER_PORT}`,
    `--cert-dir=${join(dir, "controller-manager-certs")}`,
    `--controllers=${controllers.join(",")}`,
    // One instance; a leftover lease would otherwise stall a restart for 15s.
    "--leader-elect=false",
    `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.caCert}`,
    // Each controller acts as its own service account, so RBAC is exercised as in a real cluster.
    "--use-service-account-credentials=true",
    "--kube-api-qps=100",
    "--kube-api-burst=200",
    "--profiling=false",
  ];
}

export const kubePart = (etcd: Pick<TestEnv["etcd"], "url">): Part<TestEnv["kube"]> => ({
  name: part,

  async up() {
    await ensureDir(dir);
    const bins = await kubeBinaries();
    const tokens = await ensureTokens(files.tokens);
    const pki = await ensurePki(files.pkiDir, {
      part,
      logFile: files.buildLog,
      sans: [
        `IP:${host}`,
        "DNS:localhost",
        `IP:${kubernetesServiceIp}`,
        "DNS:kubernetes",
        "DNS:kubernetes.default",
        "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc.cluster.local",
      ],
    });
    await writeConfigs(tokens, pki);
    const ca = await readFile(pki.caCert, "utf8");

    let apiServerPid = await readPid(apiServer.pidFile);
    if (!apiServerPid) {
      if (!(await probe(`${etcd.url}/health`, {}, (body) => body.includes('"health":"true"')))) {
        throw new EnvError(
          part,
          `etcd at ${etcd.url} is not healthy`,
          "start etcd first (`make env-up` does both)",
        );
      }
      await assertPortFree(APISERVER_PORT);
      const daemon: DaemonSpec = {
        ...apiServer,
        cmd: bins.apiServer,
        args: apiServerArgs(etcd.url, pki),
      };
      // A fresh API server starts a fresh audit log (nobody can hold an offset
      // into it yet); one previous log is kept, so it never grows unbounded.
      await rename(files.auditLog, `${files.auditLog}.1`).catch(() => undefined);
      apiServerPid = await startDaemon(daemon);
    }
    const ready = (): Promise<boolean> =>
      probe(`${apiServerUrl}/readyz`, { ca, token: tokens.admin }, (body) => body.trim() === "ok");
    await waitUntil(apiServer, "ready (GET /readyz)", ready, 120_000);

    let controllerManagerPid = await readPid(controllerManager.pidFile);
    if (!controllerManagerPid) {
      await assertPortFree(CONTROLLER_MANAGER_PORT);
      const daemon: DaemonSpec = {
        ...controllerManager,
        cmd: bins.controllerManager,
        args: controllerManagerArgs(pki),
      };
      controllerManagerPid = await startDaemon(daemon);
    }
    // Its serving certificate is generated in memory at start, hence insecure.
    const healthy = (): Promise<boolean> =>
      probe(`${controllerManagerUrl}/healthz`, { insecure: true }, (body) => body.trim() === "ok");
    await waitUntil(controllerManager, "healthy (GET /healthz)", healthy, 60_000);

    return {
      kubeconfig: files.kubeconfig,
      apiServerUrl,
      apiServerPid,
      controllerManagerPid,
      adminToken: tokens.admin,
      caFile: pki.caCert,
      auditLog: files.auditLog,
      serviceAccountIssuer: apiServerUrl,
      kubectl: bins.kubectl,
      helm: bins.helm,
    };
  },

  async down() {
    // Controller-manager first, so it does not log a storm of connection errors.
    await stopDaemon(controllerManager.pidFile);
    await stopDaemon(apiServer.pidFile);
  },
});

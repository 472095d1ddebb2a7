import { readFile, writeFile } from "node:fs/promises";
import { portOpen, readPid, startDaemon, stopDaemon, waitUntil } from "../../daemon.ts";
import { EnvError } from "../../../../testing/env-error.ts";
import { kubeconfig, writeIfChanged } from "../kube/kubeconfig.ts";
import { ensureClientCert, ensureNamedTokens, ensurePki, type Pki } from "../kube/pki.ts";
import { probe } from "../kube/probe.ts";
import type { NodeBinaries } from "./binaries.ts";
import {
  apiServerArgs,
  controllerManagerArgs,
  etcdArgs,
  etcdUrl,
  schedulerArgs,
  schedulerConfig,
} from "./flags.ts";
import { apiServerUrl, loopback, network, nodeName, paths, ports } from "./layout.ts";

/**
 * The node lane's own control plane: etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler. Each component authenticates
 * with a static token as the user the bootstrap RBAC policy (or the Node
 * authorizer) grants its permissions.
 */
const part = "node";

const users = {
  admin: { name: "herald-admin", groups: "system:masters" },
  controllerManager: { name: "system:kube-controller-manager", groups: "" },
  scheduler: { name: "system:kube-scheduler", groups: "" },
  kubelet: { name: `system:node:${nodeName}`, groups: "system:nodes" },
  proxy: { name: "system:kube-proxy", groups: "" },
} as const;
type User = keyof typeof users;

/** The kubeconfig file of each user. */
const kubeconfigOf: Record<User, string> = {
  admin: paths.kubeconfig("admin"),
  controllerManager: paths.kubeconfig("controller-manager"),
  scheduler: paths.kubeconfig("scheduler"),
  kubelet: paths.kubeconfig("kubelet"),
  proxy: paths.kubeconfig("kube-proxy"),
};

export interface ControlPlane {
  pki: Pki;
  adminToken: string;
  adminKubeconfig: string;
}

export const daemon = (name: string) => ({
  part,
  pidFile: paths.pidFile(name),
  logFile: paths.logFile(name),
});

/**
 * Starts `name` unless running; refuses a port some other process holds. A start empties the
 * daemon's log, so a log holds one run and the node's directory stays bounded.
 */
export async function startOnce(
  name: string,
  cmd: string,
  args: string[],
  port?: { host: string; port: number },
): Promise<void> {
  const spec = daemon(name);
  if (await readPid(spec.pidFile)) return;
  if (port && (await portOpen(port.host, port.port))) {
    throw new EnvError(
      part,
      `${name}'s port ${port.host}:${port.port} is taken by a process this checkout did not start`,
      "stop that process (`ss -ltnp` names it)",
    );
  }
  await writeFile(spec.logFile, "");
  await startDaemon({ ...spec, cmd, args });
}

async function writeConfigs(pki: Pki): Promise<Record<User, string>> {
  const names = Object.keys(users) as User[];
  const tokens = await ensureNamedTokens(paths.tokens, names);
  const caPem = await readFile(pki.caCert, "utf8");
  await writeIfChanged(
    paths.tokenAuthFile,
    names
      .map((u) => `${tokens[u]},${users[u].name},${users[u].name},"${users[u].groups}"`)
      .concat("")
      .join("\n"),
  );
  for (const u of names) {
    await writeIfChanged(
      kubeconfigOf[u],
      kubeconfig(apiServerUrl, users[u].name, tokens[u], caPem),
    );
  }
  await writeIfChanged(paths.schedulerConfig, schedulerConfig());
  return tokens;
}

export async function controlPlaneUp(bins: NodeBinaries): Promise<ControlPlane> {
  const pki = await ensurePki(paths.pkiDir, {
    part,
    logFile: paths.buildLog,
    sans: [
      `IP:${network.nodeIp}`,
      `IP:${loopback}`,
      `IP:${network.kubernetesServiceIp}`,
      "DNS:localhost",
      "DNS:kubernetes",
      "DNS:kubernetes.default",
      "DNS:kubernetes.default.svc",
      `DNS:kubernetes.default.svc.${network.clusterDomain}`,
    ],
  });
  const kubeletClient = await ensureClientCert(pki, {
    part,
    logFile: paths.buildLog,
    name: "apiserver-kubelet-client",
    // system:masters: the kubelet's webhook authorization asks the API server
    // about this user, and the bootstrap policy lets that group do anything.
    subject: "/O=system:masters/CN=kube-apiserver-kubelet-client",
  });
  const tokens = await writeConfigs(pki);
  const ca = await readFile(pki.caCert, "utf8");

  await startOnce("etcd", bins.etcd, etcdArgs(), { host: loopback, port: ports.etcdClient });
  await waitUntil(
    daemon("etcd"),
    "healthy (GET /health)",
    () => probe(`${etcdUrl}/health`, {}, (body) => body.includes('"health":"true"')),
    60_000,
  );

  await startOnce("kube-apiserver", bins.apiServer, apiServerArgs(pki, kubeletClient), {
    host: network.nodeIp,
    port: ports.apiServer,
  });
  await waitUntil(
    daemon("kube-apiserver"),
    "ready (GET /readyz)",
    () => probe(`${apiServerUrl}/readyz`, { ca, token: tokens.admin }, (b) => b.trim() === "ok"),
    120_000,
  );

  await startOnce("kube-controller-manager", bins.controllerManager, controllerManagerArgs(pki), {
    host: loopback,
    port: ports.controllerManager,
  });
  await startOnce("kube-scheduler", bins.scheduler, schedulerArgs(), {
    host: loopback,
    port: ports.scheduler,
  });
  // Their serving certificates are generated in memory at start, hence insecure.
  for (const [name, port] of [
    ["kube-controller-manager", ports.controllerManager],
    ["kube-scheduler", ports.scheduler],
  ] as const) {
    await waitUntil(
      daemon(name),
      "healthy (GET /healthz)",
      () =>
        probe(`https://${loopback}:${port}/healthz`, { insecure: true }, (b) => b.trim() === "ok"),
      60_000,
    );
  }
  return { pki, adminToken: tokens.admin, adminKubeconfig: kubeconfigOf.admin };
}

/** Controllers and scheduler first: with them gone, nothing recreates the pods being drained. */
export async function controllersDown(): Promise<void> {
  await stopDaemon(paths.pidFile("kube-scheduler"));
  await stopDaemon(paths.pidFile("kube-controller-manager"));
}

export async function apiServerDown(): Promise<void> {
  await stopDaemon(paths.pidFile("kube-apiserver"));
  await stopDaemon(paths.pidFile("etcd"));
}

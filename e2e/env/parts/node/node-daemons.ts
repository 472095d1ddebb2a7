import { mkdir, readdir, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive, stopDaemon, waitUntil } from "../../daemon.ts";
import { run } from "../../../../testing/run.ts";
import { writeIfChanged } from "../kube/kubeconfig.ts";
import { probe } from "../kube/probe.ts";
import type { NodeBinaries } from "./binaries.ts";
import { cniConflist } from "./cni.ts";
import { containerdConfig, runcWrapper } from "./containerd.ts";
import { daemon, startOnce } from "./control-plane.ts";
import { kubeletArgs, kubeletConfig, proxyArgs, proxyConfig } from "./flags.ts";
import { loopback, network, paths, ports } from "./layout.ts";
import { join } from "node:path";

/**
 * The node itself: containerd (with the runc wrapper and the CNI
 * configuration), the kubelet and kube-proxy.
 */
const part = "node";

export interface HostTools {
  containerd: string;
  ctr: string;
  runc: string;
  jq: string;
}

export async function containerdUp(tools: HostTools): Promise<void> {
  for (const d of [paths.containerdRoot, paths.containerdState, paths.cniConfDir, paths.cniDataDir])
    await mkdir(d, { recursive: true });
  await writeIfChanged(paths.containerdConfig, containerdConfig(), 0o644);
  await writeIfChanged(paths.runcWrapper, runcWrapper(tools.runc, tools.jq), 0o755);
  await writeIfChanged(join(paths.cniConfDir, "10-herald-node.conflist"), cniConflist(), 0o644);
  const spec = daemon("containerd");
  // A socket only: no TCP port to check.
  await startOnce("containerd", tools.containerd, ["--config", paths.containerdConfig]);
  await waitUntil(
    spec,
    "answering on its socket",
    async () => {
      await run(tools.ctr, ["--address", paths.containerdSocket, "version"], { part, remedy: "" });
      return true;
    },
    60_000,
  );
}

export async function kubeletUp(bins: NodeBinaries, caFile: string): Promise<void> {
  await mkdir(paths.kubeletRoot, { recursive: true });
  await writeIfChanged(paths.kubeletConfig, kubeletConfig(caFile), 0o644);
  await startOnce("kubelet", bins.kubelet, kubeletArgs(), {
    host: network.nodeIp,
    port: ports.kubelet,
  });
  await waitUntil(
    daemon("kubelet"),
    "healthy (GET /healthz)",
    () => probe(`http://${loopback}:${ports.kubeletHealthz}/healthz`, {}, (b) => b.trim() === "ok"),
    120_000,
  );
}

export async function proxyUp(bins: NodeBinaries): Promise<void> {
  await writeIfChanged(paths.proxyConfig, proxyConfig(), 0o644);
  await startOnce("kube-proxy", bins.proxy, proxyArgs(), {
    host: loopback,
    port: ports.proxyHealthz,
  });
  await waitUntil(
    daemon("kube-proxy"),
    "healthy (GET /healthz)",
    () => probe(`http://${loopback}:${ports.proxyHealthz}/healthz`),
    60_000,
  );
}

/** kube-proxy's iptables chains go with it: `--cleanup` removes every rule it wrote. */
export async function proxyDown(kubeProxy: string | undefined): Promise<void> {
  await stopDaemon(paths.pidFile("kube-proxy"));
  if (kubeProxy) await run(kubeProxy, ["--cleanup"], { part, remedy: "" }).catch(() => undefined);
}

export async function kubeletDown(): Promise<void> {
  await stopDaemon(paths.pidFile("kubelet"));
}

/**
 * Stops every container on the node, then containerd. Shims outlive
 * containerd by design, so any still serving this containerd (found by its
 * socket path on their command line, which no other containerd shares) are
 * killed too.
 */
export async function containerdDown(ctr: string): Promise<void> {
  const ns = ["--address", paths.containerdSocket, "-n", "k8s.io"];
  const tasks = await run(ctr, [...ns, "tasks", "ls", "-q"], { part, remedy: "" }).catch(() => "");
  for (const id of tasks.split("\n").filter(Boolean)) {
    await run(ctr, [...ns, "tasks", "kill", "-a", "-s", "SIGKILL", id], { part, remedy: "" }).catch(
      () => "",
    );
    await run(ctr, [...ns, "tasks", "delete", "-f", id], { part, remedy: "" }).catch(() => "");
  }
  await stopDaemon(paths.pidFile("containerd"));
  for (const pid of await shimPids()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  for (let i = 0; i < 50 && (await shimPids()).some(isAlive); i++) await sleep(100);
}

async function shimPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes("containerd-shim") && cmdline.includes(paths.containerdSocket))
      pids.push(pid);
  }
  return pids;
}

/** Unmounts what the kubelet and containerd left mounted below the node's directory. */
export async function unmountUnder(dir: string): Promise<void> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((p) => p.startsWith(`${dir}/`))
    // Deepest first, so no mount hides another.
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    await run("umount", ["-l", p], { part, remedy: "" }).catch(() => "");
  }
}

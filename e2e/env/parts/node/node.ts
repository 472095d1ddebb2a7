import { access, readFile, rm, writeFile } from "node:fs/promises";
import { z } from "zod";
import { aptInstall } from "../../apt.ts";
import { ensureDir } from "../../daemon.ts";
import { ensureEngine } from "../../../images/engine.ts";
import { EnvError } from "../../../../testing/env-error.ts";
import { have, run } from "../../../../testing/run.ts";
import { until } from "../../../../testing/until.ts";
import type { Part } from "../../part.ts";
import { nodeBinaries } from "./binaries.ts";
import { removeKubeChains } from "./iptables.ts";
import { bridgeDown, bridgeUp } from "./network.ts";
import { apiServerDown, controlPlaneUp, controllersDown } from "./control-plane.ts";
import { corednsImage, volumesDir } from "./addons.ts";
import { addonsUp } from "./addons-up.ts";
import { corednsBinary } from "./coredns.ts";
import { ensureBinaryImage, ensurePauseImage, importImages } from "./images.ts";
import { pauseImage } from "./flags.ts";
import { apiServerUrl, nodeName, paths } from "./layout.ts";
import {
  containerdDown,
  containerdUp,
  kubeletDown,
  kubeletUp,
  proxyDown,
  proxyUp,
  unmountUnder,
  type HostTools,
} from "./node-daemons.ts";

/**
 * A one-node Kubernetes cluster of real components for the node lane
 * (`make e2e-node`): its own control plane, containerd, kubelet, kube-proxy
 * in iptables mode and the pod bridge. See e2e/env/README.md.
 */
const part = "node";

const NodeFactsSchema = z.object({
  kubeconfig: z.string(),
  apiServerUrl: z.string(),
  nodeName: z.string(),
  kubectl: z.string(),
  helm: z.string(),
  /** ctr and the socket of the node's containerd, to import images. */
  ctr: z.string(),
  containerdSocket: z.string(),
  /** kube-proxy, whose `--cleanup` node-down runs. */
  kubeProxy: z.string(),
});
export type NodeFacts = z.infer<typeof NodeFactsSchema>;

/** What the last up started with, so down stops it without installing or building anything. */
async function readFacts(): Promise<NodeFacts | undefined> {
  const text = await readFile(paths.facts, "utf8").catch(() => undefined);
  const parsed = text === undefined ? undefined : NodeFactsSchema.safeParse(JSON.parse(text));
  return parsed?.success ? parsed.data : undefined;
}

/** Debian packages and the commands each provides. */
const packages = {
  containerd: ["containerd", "ctr"],
  runc: ["runc"],
  "containernetworking-plugins": [],
  "busybox-static": [],
  jq: ["jq"],
  conntrack: ["conntrack"],
} as const;
const files = { busybox: "/bin/busybox", bridgePlugin: "/usr/lib/cni/bridge" };

async function hostTools(): Promise<HostTools> {
  const missing: string[] = [];
  for (const [pkg, cmds] of Object.entries(packages)) {
    const present = await Promise.all(cmds.map((c) => have(c)));
    if (present.includes(false)) missing.push(pkg);
  }
  for (const [pkg, file] of [
    ["busybox-static", files.busybox],
    ["containernetworking-plugins", files.bridgePlugin],
  ] as const) {
    if (
      !(await access(file).then(
        () => true,
        () => false,
      ))
    )
      missing.push(pkg);
  }
  if (missing.length > 0) await aptInstall(part, [...new Set(missing)]);
  const which = async (cmd: string) =>
    (await run("sh", ["-c", `command -v ${cmd}`], { part, remedy: `install ${cmd}` })).trim();
  return {
    containerd: await which("containerd"),
    ctr: await which("ctr"),
    runc: await which("runc"),
    jq: await which("jq"),
  };
}

const NodeList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string() }),
      status: z
        .object({
          conditions: z.array(z.object({ type: z.string(), status: z.string() })).optional(),
        })
        .optional(),
    }),
  ),
});

async function kubectlJson(kubectl: string, args: string[]): Promise<unknown> {
  const out = await run(
    kubectl,
    ["--kubeconfig", paths.kubeconfig("admin"), ...args, "-o", "json"],
    {
      part,
      remedy: `see ${paths.logFile("kubelet")}`,
    },
  );
  return JSON.parse(out);
}

async function nodeReady(kubectl: string): Promise<boolean> {
  const nodes = NodeList.parse(await kubectlJson(kubectl, ["get", "nodes"]));
  return nodes.items.some(
    (n) =>
      n.metadata.name === nodeName &&
      (n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
  );
}

export interface NodeUpOptions {
  /** Images of the local engine to import into the node (e.g. herald-broker:e2e). */
  images?: readonly string[];
}

export const nodePart = (options: NodeUpOptions = {}): Part<NodeFacts> => ({
  name: part,

  async up() {
    if (process.getuid?.() !== 0) {
      throw new EnvError(
        part,
        "the node lane must run as root",
        "run it as root (it creates a bridge, namespaces and cgroups)",
      );
    }
    await ensureDir(paths.dir);
    // One run's builds, imports and certificates per log, as each daemon's log holds one run.
    await writeFile(paths.buildLog, "");
    const tools = await hostTools();
    const bins = await nodeBinaries();
    await bridgeUp();
    const cp = await controlPlaneUp(bins);
    await containerdUp(tools);
    const coredns = await corednsBinary();
    const engine = await ensureEngine();
    try {
      await ensurePauseImage(files.busybox);
      await ensureBinaryImage({
        tag: corednsImage,
        binary: coredns,
        path: "coredns",
        entrypoint: ["/coredns"],
        user: "65532:65532",
      });
      await importImages(tools.ctr, [pauseImage, corednsImage, ...(options.images ?? [])]);
    } finally {
      await engine.stop();
    }
    await kubeletUp(bins, cp.pki.caCert);
    await until(`node ${nodeName} Ready`, () => nodeReady(bins.kubectl), {
      timeoutMs: 120_000,
      intervalMs: 1000,
    }).catch(() => {
      throw new EnvError(
        part,
        `node ${nodeName} is not Ready after 120s`,
        `see ${paths.logFile("kubelet")} and ${paths.logFile("containerd")}`,
      );
    });
    await proxyUp(bins);
    await addonsUp(bins.kubectl);
    const facts: NodeFacts = {
      kubeconfig: cp.adminKubeconfig,
      apiServerUrl,
      nodeName,
      kubectl: bins.kubectl,
      helm: bins.helm,
      ctr: tools.ctr,
      containerdSocket: paths.containerdSocket,
      kubeProxy: bins.proxy,
    };
    await writeFile(paths.facts, `${JSON.stringify(facts, null, 2)}\n`);
    return facts;
  },

  async down() {
    const facts = await readFacts();
    await controllersDown();
    if (facts) await drainPods(facts.kubectl);
    await proxyDown(facts?.kubeProxy);
    await kubeletDown();
    await removeKubeChains();
    await containerdDown(facts?.ctr ?? "ctr");
    await unmountUnder(paths.dir);
    await apiServerDown();
    await bridgeDown();
    // Every up starts an empty cluster: no release, namespace or volume of an
    // earlier run survives. Certificates, tokens and containerd's image store stay.
    for (const dir of [paths.etcdData, paths.kubeletRoot, paths.cniDataDir, volumesDir]) {
      await rm(dir, { recursive: true, force: true });
    }
    await rm(paths.facts, { force: true });
  },
});

/**
 * Deletes every pod and waits, bounded, for the kubelet to stop them: it tears
 * down their sandboxes, network namespaces and volumes as on any node. What is
 * left after the bound is killed by containerdDown.
 */
async function drainPods(kubectlBin: string): Promise<void> {
  const kubectl = (args: string[]) =>
    run(kubectlBin, ["--kubeconfig", paths.kubeconfig("admin"), ...args], { part, remedy: "" });
  const deleted = await kubectl([
    "delete",
    "pods",
    "--all",
    "--all-namespaces",
    "--grace-period=1",
    "--wait=false",
    "--request-timeout=10s",
  ]).then(
    () => true,
    () => false, // no API server: nothing to drain through
  );
  if (!deleted) return;
  await until(
    "the node's pods gone",
    async () => (await kubectl(["get", "pods", "-A", "-o", "name"])).trim() === "",
    { timeoutMs: 60_000, intervalMs: 1000 },
  ).catch(() => undefined);
}

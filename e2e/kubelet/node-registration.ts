/**
 * The kubelet's Node: registered Ready with the machine's capacity, kept alive by a Lease in
 * kube-node-lease (renewed every 10 s, as the kubelet does) and a periodic status heartbeat, so a
 * node-lifecycle controller, if one ran, would not mark it unreachable. On stop the node is
 * marked NotReady, or deleted.
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  V1MicroTime,
  VersionApi,
  setHeaderOptions,
  type KubeConfig,
  type V1NodeCondition,
} from "@kubernetes/client-node";
import { arch, availableParallelism, release, totalmem } from "node:os";
import type { Logger } from "pino";
import { z } from "zod";
import { describeApiError, isConflict, isNotFound } from "../../lib/kube/api-error.ts";

export const nodeLeaseNamespace = "kube-node-lease";
const leaseDurationSeconds = 40;
const leaseRenewMs = 10_000;
const statusHeartbeatMs = 60_000;
/** Taints the API server puts on a new node; the node-lifecycle controller (not run here) lifts them. */
const startupTaints = new Set(["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]);
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export interface NodeOptions {
  kubeConfig: KubeConfig;
  nodeName: string;
  hostIP: string;
  /** The pods' loopback range, reported as the node's pod CIDR. */
  podCIDR: string;
  /** Already naming the node. */
  log: Logger;
}

export interface RegisteredNode {
  labels: Readonly<Record<string, string>>;
  allocatable: Readonly<Record<string, string>>;
  /** Marks the node NotReady (or deletes it) and stops the heartbeats. */
  stop(options: { deleteNode: boolean }): Promise<void>;
}

const goArch: Record<string, string> = { x64: "amd64", arm64: "arm64" };

function nodeLabels(nodeName: string): Record<string, string> {
  return {
    "kubernetes.io/hostname": nodeName,
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": goArch[arch()] ?? arch(),
    "herald.dev/process-kubelet": "true",
  };
}

function conditions(ready: boolean, registeredAt: Date, now: Date): V1NodeCondition[] {
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    // Only Ready ever changes, and only when the kubelet stops.
    lastTransitionTime: type === "Ready" && !ready ? now : registeredAt,
  });
  return [
    condition(
      "MemoryPressure",
      "False",
      "KubeletHasSufficientMemory",
      "kubelet has sufficient memory available",
    ),
    condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    condition(
      "PIDPressure",
      "False",
      "KubeletHasSufficientPID",
      "kubelet has sufficient PID available",
    ),
    ready
      ? condition("Ready", "True", "KubeletReady", "process kubelet is posting ready status")
      : condition("Ready", "False", "KubeletNotReady", "process kubelet stopped"),
  ];
}

const taintsSchema = z.array(
  z.object({ key: z.string(), effect: z.string(), value: z.string().optional() }).loose(),
);

export async function registerNode(options: NodeOptions): Promise<RegisteredNode> {
  const { kubeConfig, nodeName, hostIP, podCIDR, log } = options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const leases = kubeConfig.makeApiClient(CoordinationV1Api);
  const { gitVersion } = await kubeConfig.makeApiClient(VersionApi).getCode();
  const labels = nodeLabels(nodeName);
  const capacity = {
    cpu: String(availableParallelism()),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: "110",
  };
  const registeredAt = new Date();
  const status = (ready: boolean) => ({
    status: {
      capacity,
      allocatable: capacity,
      conditions: conditions(ready, registeredAt, new Date()),
      addresses: [
        { type: "InternalIP", address: hostIP },
        { type: "Hostname", address: nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      nodeInfo: {
        machineID: "",
        systemUUID: "",
        bootID: "",
        kernelVersion: release(),
        osImage: "Herald process kubelet",
        containerRuntimeVersion: `process://node-${process.version}`,
        kubeletVersion: gitVersion,
        kubeProxyVersion: "",
        operatingSystem: "linux",
        architecture: labels["kubernetes.io/arch"] ?? "",
      },
    },
  });

  try {
    await core.createNode({
      body: { metadata: { name: nodeName, labels }, spec: { podCIDR, podCIDRs: [podCIDR] } },
    });
    log.info("node registered");
  } catch (err) {
    if (!isConflict(err)) throw err;
    // Registered by an earlier run: take it over, and its pods with it.
    await core.patchNode({ name: nodeName, body: { metadata: { labels } } }, mergePatch);
    log.info("node re-registered");
  }
  await core.patchNodeStatus({ name: nodeName, body: status(true) }, mergePatch);
  await liftStartupTaints(core, nodeName);
  const node = await core.readNode({ name: nodeName });
  const nodeUid = node.metadata?.uid ?? "";

  const renewLease = async () => {
    const spec = {
      holderIdentity: nodeName,
      leaseDurationSeconds,
      renewTime: new V1MicroTime(),
    };
    try {
      await leases.patchNamespacedLease(
        { name: nodeName, namespace: nodeLeaseNamespace, body: { spec } },
        mergePatch,
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await leases.createNamespacedLease({
        namespace: nodeLeaseNamespace,
        body: {
          metadata: {
            name: nodeName,
            // Deleted with the node, as the kubelet's lease is.
            ownerReferences: [{ apiVersion: "v1", kind: "Node", name: nodeName, uid: nodeUid }],
          },
          spec,
        },
      });
    }
  };
  const heartbeat = (what: string, beat: () => Promise<unknown>) => () => {
    beat().catch((err: unknown) => log.warn({ error: describeApiError(err) }, `${what} failed`));
  };
  await renewLease();
  const timers = [
    setInterval(heartbeat("lease renewal", renewLease), leaseRenewMs),
    setInterval(
      heartbeat("node status heartbeat", () =>
        core.patchNodeStatus({ name: nodeName, body: status(true) }, mergePatch),
      ),
      statusHeartbeatMs,
    ),
  ];

  return {
    labels,
    allocatable: capacity,
    async stop({ deleteNode }) {
      timers.forEach(clearInterval);
      try {
        if (deleteNode) {
          await core.deleteNode({ name: nodeName });
          log.info("node deleted");
        } else {
          await core.patchNodeStatus({ name: nodeName, body: status(false) }, mergePatch);
          log.info("node marked NotReady");
        }
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}

async function liftStartupTaints(core: CoreV1Api, nodeName: string): Promise<void> {
  const node = await core.readNode({ name: nodeName });
  const taints = taintsSchema.parse(JSON.parse(JSON.stringify(node.spec?.taints ?? [])));
  const kept = taints.filter((taint) => !startupTaints.has(taint.key));
  if (kept.length === taints.length) return;
  await core.patchNode(
    {
      name: nodeName,
      body: {
        metadata: { resourceVersion: node.metadata?.resourceVersion },
        spec: { taints: kept },
      },
    },
    mergePatch,
  );
}

/**
 * The process kubelet (docs/decisions/0003-process-kubelet.md): a Node that schedules and runs the pods of Herald broker
 * StatefulSets as local processes of this checkout, each on its own loopback address, with an
 * in-cluster config that points at the local API server. With the real API server and
 * controller-manager it makes a true local cluster, in which the operator and the brokers run
 * unmodified. This module wires the parts together (see README.md).
 */
import {
  KubeConfig,
  KubernetesObjectApi,
  type KubernetesObject,
  type V1Pod,
} from "@kubernetes/client-node";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { KindCache } from "../../lib/kube/kind-cache.ts";
import { makeListWatch } from "../../lib/kube/list-watch.ts";
import { brokerPodLabelSelector } from "./binding.ts";
import { kubernetesServiceEnv } from "./env.ts";
import { AddressPool } from "./ipam.ts";
import { podApi } from "./kube-api.ts";
import { registerNode } from "./node-registration.ts";
import type { PodProcessInfo } from "./pod-runtime.ts";
import { PodWorker } from "./pod-worker.ts";
import { kubeletBackoff, type BackoffOptions } from "./supervisor.ts";

export interface ProcessKubeletOptions {
  /** Path of the kubeconfig the kubelet itself uses (an admin one; it acts for the whole node). */
  kubeconfig: string;
  /** The checkout whose programs run (see entrypoint.ts). */
  repoRoot: string;
  nodeName: string;
  /**
   * Each pod's output goes to `<logDir>/<namespace>_<pod>.log`; its volumes (tokens included)
   * to `<logDir>/pods/<node>/`, removed with the pod.
   */
  logDir: string;
  /** Watch only these namespaces (default: all), so that two kubelets can share one cluster. */
  namespaces?: readonly string[];
  logger?: Logger;
  /** Crash-loop backoff; the kubelet's 10 s → 5 min by default. */
  backoff?: BackoffOptions;
  /** On stop, delete the Node instead of marking it NotReady (a later run adopts its pods). */
  deleteNodeOnStop?: boolean;
  /** The longest stop() lets a process drain before SIGKILL (the pod's own grace if shorter). */
  stopGraceMs?: number;
  /** The loopback /24 the pods' addresses come from, as three octets. */
  addressPrefix?: string;
  /** Where address allocations are recorded (machine-wide; see ipam.ts). */
  ipamDir?: string;
  /** Length of a probe "second"; only tests change it. */
  probeSecondMs?: number;
  /** The domain of the pods' DNS names (in their /etc/hosts); the operator's default. */
  clusterDomain?: string;
}

export interface ProcessKubelet {
  readonly nodeName: string;
  /** The pods this kubelet runs now, with their addresses and processes. */
  pods(): PodProcessInfo[];
  /** Stops every process (no orphans), then marks the node NotReady or deletes it. */
  stop(): Promise<void>;
}

const hostIP = "127.0.0.1";
const podResource = { group: "", version: "v1", kind: "Pod", plural: "pods" };
/** What pods' volumes read; watched so that the volumes follow them, as the kubelet's do. */
const volumeObjectResources = [
  { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps" },
  { group: "", version: "v1", kind: "Secret", plural: "secrets" },
] as const;
const fieldManager = "herald-process-kubelet";

export async function startProcessKubelet(options: ProcessKubeletOptions): Promise<ProcessKubelet> {
  const log = (options.logger ?? pino({ level: "info" })).child({ node: options.nodeName });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(options.kubeconfig);
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error(`${options.kubeconfig}: no current cluster`);
  const env = kubernetesServiceEnv(server);
  const prefix = options.addressPrefix ?? "127.0.10";
  // Volumes of an earlier run of this node (killed, so its processes died with it) are stale.
  const runDir = join(options.logDir, "pods", options.nodeName);
  await rm(runDir, { recursive: true, force: true });

  const node = await registerNode({
    kubeConfig,
    nodeName: options.nodeName,
    hostIP,
    podCIDR: `${prefix}.0/24`,
    log,
  });
  const worker = new PodWorker({
    api: podApi(kubeConfig, fieldManager),
    node,
    nodeName: options.nodeName,
    log,
    runtime: {
      addresses: new AddressPool({ prefix, dir: options.ipamDir }),
      repoRoot: options.repoRoot,
      logDir: options.logDir,
      runDir,
      hostIP,
      serviceEnv: env,
      nodeAllocatable: node.allocatable,
      clusterDomain: options.clusterDomain ?? "cluster.local",
      backoff: options.backoff ?? kubeletBackoff,
      probeSecondMs: options.probeSecondMs,
      log,
    },
  });
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const pods = new KindCache<V1Pod>({
    resource: podResource,
    namespaces: options.namespaces ?? [],
    create: (namespace) =>
      makeListWatch<V1Pod>(kubeConfig, objects, podResource, namespace, {
        labelSelector: brokerPodLabelSelector,
      }),
    onChange: (pod) =>
      worker.enqueue(`${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`),
    log,
  });
  const volumeObjects = volumeObjectResources.map(
    (resource) =>
      new KindCache<KubernetesObject>({
        resource,
        namespaces: options.namespaces ?? [],
        create: (namespace) => makeListWatch(kubeConfig, objects, resource, namespace),
        onChange: (object) =>
          worker.objectChanged({
            kind: resource.kind,
            namespace: object.metadata?.namespace ?? "",
            name: object.metadata?.name ?? "",
          }),
        log,
      }),
  );
  worker.attach(pods);
  await Promise.all([pods, ...volumeObjects].map((cache) => cache.start()));
  log.info({ namespaces: options.namespaces ?? "all" }, "process kubelet running");

  let stopping: Promise<void> | undefined;
  return {
    nodeName: options.nodeName,
    pods: () => worker.pods(),
    stop() {
      stopping ??= (async () => {
        await Promise.all([pods, ...volumeObjects].map((cache) => cache.stop()));
        await worker.stop(options.stopGraceMs ?? 30_000);
        await node.stop({ deleteNode: options.deleteNodeOnStop ?? false });
        log.info("process kubelet stopped");
      })();
      return stopping;
    },
  };
}

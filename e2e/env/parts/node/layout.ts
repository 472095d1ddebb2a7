import { join } from "node:path";
import { partDir } from "../../../../testing/paths.ts";

/**
 * Where the node lane lives: its own control plane and node, on ports and in
 * directories of their own, so it runs beside the shared test environment
 * (etcd 52379, API server 56443) without touching it. A real kubelet and
 * scheduler registered with the shared API server would take the process
 * kubelet's pods, hence a second API server.
 */
export const nodeName = "herald-node";
export const loopback = "127.0.0.1";

export const ports = {
  etcdClient: 53379,
  etcdPeer: 53380,
  apiServer: 57443,
  controllerManager: 51357,
  scheduler: 51359,
  kubelet: 51350,
  kubeletHealthz: 51348,
  proxyHealthz: 51356,
  proxyMetrics: 51349,
} as const;

/**
 * Pod and Service addresses. Pods live on `bridge` (the node's address is its
 * gateway); Service addresses exist only as kube-proxy's iptables rules plus
 * a route onto the same bridge. Nothing routes either range off the machine.
 */
export const network = {
  bridge: "herald-node0",
  podCidr: "10.246.0.0/24",
  /** The bridge's address: the pods' gateway and the node's InternalIP. */
  nodeIp: "10.246.0.1",
  prefixLength: 24,
  serviceCidr: "10.246.1.0/24",
  kubernetesServiceIp: "10.246.1.1",
  dnsServiceIp: "10.246.1.10",
  clusterDomain: "cluster.local",
} as const;

/** On the bridge address, where pods reach it too (flags.ts). */
export const apiServerUrl = `https://${network.nodeIp}:${ports.apiServer}`;

const dir = partDir("node");
export const paths = {
  dir,
  buildLog: join(dir, "build.log"),
  facts: join(dir, "facts.json"),
  pkiDir: join(dir, "pki"),
  tokens: join(dir, "tokens.json"),
  tokenAuthFile: join(dir, "token-auth.csv"),
  etcdData: join(dir, "etcd"),
  kubeletRoot: join(dir, "kubelet"),
  kubeletConfig: join(dir, "kubelet.yaml"),
  proxyConfig: join(dir, "kube-proxy.yaml"),
  schedulerConfig: join(dir, "kube-scheduler.yaml"),
  containerdRoot: join(dir, "containerd", "root"),
  containerdState: join(dir, "containerd", "state"),
  containerdConfig: join(dir, "containerd", "config.toml"),
  containerdSocket: join(dir, "containerd", "containerd.sock"),
  runcWrapper: join(dir, "containerd", "runc-no-oom-score"),
  cniConfDir: join(dir, "cni", "net.d"),
  cniDataDir: join(dir, "cni", "ipam"),
  imagesDir: join(dir, "images"),
  kubeconfig: (user: string) => join(dir, `${user}.kubeconfig`),
  pidFile: (daemon: string) => join(dir, `${daemon}.pid`),
  logFile: (daemon: string) => join(dir, `${daemon}.log`),
} as const;

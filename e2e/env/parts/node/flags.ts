import { stringify } from "yaml";
import type { Pki } from "../kube/pki.ts";
import { apiServerUrl, loopback, network, nodeName, paths, ports } from "./layout.ts";

/**
 * Command lines and configuration files of the node lane's daemons. Pure: the
 * daemons' inputs are decided here and tested without starting anything.
 */

const etcdClientUrl = `http://${loopback}:${ports.etcdClient}`;
const etcdPeerUrl = `http://${loopback}:${ports.etcdPeer}`;

export const etcdUrl = etcdClientUrl;

export function etcdArgs(): string[] {
  return [
    "--name=herald-node",
    `--data-dir=${paths.etcdData}`,
    `--listen-client-urls=${etcdClientUrl}`,
    `--advertise-client-urls=${etcdClientUrl}`,
    `--listen-peer-urls=${etcdPeerUrl}`,
    `--initial-advertise-peer-urls=${etcdPeerUrl}`,
    `--initial-cluster=herald-node=${etcdPeerUrl}`,
    "--initial-cluster-state=new",
    // Disposable test data: durability is not worth an fsync per write.
    "--unsafe-no-fsync",
    "--log-level=warn",
  ];
}

export function apiServerArgs(pki: Pki, kubeletClient: { cert: string; key: string }): string[] {
  return [
    `--etcd-servers=${etcdClientUrl}`,
    // The bridge address: pods reach it through the `kubernetes` Service, and
    // it is not on any interface that leaves the machine.
    `--bind-address=${network.nodeIp}`,
    `--advertise-address=${network.nodeIp}`,
    `--secure-port=${ports.apiServer}`,
    `--cert-dir=${paths.pkiDir}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--token-auth-file=${paths.tokenAuthFile}`,
    "--authorization-mode=Node,RBAC",
    `--service-account-issuer=${apiServerUrl}`,
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    `--service-cluster-ip-range=${network.serviceCidr}`,
    // logs, exec and port-forward go to the node's bridge address.
    "--kubelet-preferred-address-types=InternalIP",
    // Its identity towards the kubelet, which refuses anonymous requests.
    `--kubelet-client-certificate=${kubeletClient.cert}`,
    `--kubelet-client-key=${kubeletClient.key}`,
    "--enable-admission-plugins=NodeRestriction",
    "--profiling=false",
  ];
}

export function controllerManagerArgs(pki: Pki): string[] {
  return [
    `--kubeconfig=${paths.kubeconfig("controller-manager")}`,
    `--bind-address=${loopback}`,
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${paths.dir}/controller-manager-certs`,
    // Every default controller: this cluster has a real node, so node
    // lifecycle, pod GC and the volume controllers do their real jobs.
    "--controllers=*",
    "--leader-elect=false",
    `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.caCert}`,
    "--use-service-account-credentials=true",
    "--profiling=false",
  ];
}

export function schedulerConfig(): string {
  return stringify({
    apiVersion: "kubescheduler.config.k8s.io/v1",
    kind: "KubeSchedulerConfiguration",
    clientConnection: { kubeconfig: paths.kubeconfig("scheduler") },
    leaderElection: { leaderElect: false },
  });
}

export function schedulerArgs(): string[] {
  return [
    `--config=${paths.schedulerConfig}`,
    `--bind-address=${loopback}`,
    `--secure-port=${ports.scheduler}`,
    `--cert-dir=${paths.dir}/scheduler-certs`,
  ];
}

export function kubeletConfig(caFile: string): string {
  return stringify({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    // Served on the bridge address only. The API server's calls (logs, exec,
    // port-forward) come from this machine; anonymous requests are refused and
    // bearer tokens are checked with the API server.
    address: network.nodeIp,
    port: ports.kubelet,
    healthzBindAddress: loopback,
    healthzPort: ports.kubeletHealthz,
    readOnlyPort: 0,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: caFile },
    },
    authorization: { mode: "Webhook" },
    cgroupDriver: "cgroupfs",
    containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
    clusterDomain: network.clusterDomain,
    clusterDNS: [network.dnsServiceIp],
    failSwapOn: false,
    // A shared test machine's disk and memory are not this node's to guard:
    // evictions would only turn a busy machine into failed tests.
    evictionHard: {
      "memory.available": "50Mi",
      "nodefs.available": "1%",
      "imagefs.available": "1%",
    },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // The sandbox's cgroup v1 tree belongs to the machine; the kubelet only
    // needs its own pods' cgroups.
    cgroupsPerQOS: true,
    enforceNodeAllocatable: ["pods"],
    serializeImagePulls: false,
    registerNode: true,
    nodeStatusUpdateFrequency: "10s",
    resolvConf: "/etc/resolv.conf",
  });
}

export function kubeletArgs(): string[] {
  return [
    `--config=${paths.kubeletConfig}`,
    `--kubeconfig=${paths.kubeconfig("kubelet")}`,
    `--root-dir=${paths.kubeletRoot}`,
    `--cert-dir=${paths.kubeletRoot}/pki`,
    `--hostname-override=${nodeName}`,
    `--node-ip=${network.nodeIp}`,
    // No registry is reachable: every image is imported before it is used.
    `--pod-infra-container-image=${pauseImage}`,
  ];
}

/** Made from Debian's busybox-static and imported into containerd (images.ts). */
export const pauseImage = "registry.k8s.io/pause:3.10";

export function proxyConfig(): string {
  return stringify({
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clientConnection: { kubeconfig: paths.kubeconfig("kube-proxy") },
    mode: "iptables",
    hostnameOverride: nodeName,
    bindAddress: loopback,
    healthzBindAddress: `${loopback}:${ports.proxyHealthz}`,
    metricsBindAddress: `${loopback}:${ports.proxyMetrics}`,
    // Traffic to a Service from outside the pod range (this machine's tests)
    // is rewritten to the bridge address so the answer comes back through the
    // host; nothing is rewritten towards any other interface.
    clusterCIDR: network.podCidr,
    // Service NodePorts on the bridge address only, never on the machine's
    // own interfaces.
    nodePortAddresses: [`${network.nodeIp}/32`],
    conntrack: { maxPerCore: 0 },
  });
}

export function proxyArgs(): string[] {
  return [`--config=${paths.proxyConfig}`];
}

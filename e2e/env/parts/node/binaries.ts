import { kubeBinaries, kubeBinary, type KubeBinaries } from "../kube.ts";
import { etcdBinary } from "../etcd.ts";

/**
 * Every binary of the node lane. The node's commands build from the same
 * wrapper module, into the same version-keyed directory, as the API server
 * (tools.go lists their packages), so one version bump in its go.mod moves
 * the whole cluster.
 */
export interface NodeBinaries extends KubeBinaries {
  etcd: string;
  kubelet: string;
  scheduler: string;
  proxy: string;
}

/** One after the other: concurrent Go builds would only thrash two cores. */
export async function nodeBinaries(): Promise<NodeBinaries> {
  const etcd = await etcdBinary();
  const kube = await kubeBinaries();
  const kubelet = await kubeBinary("kubelet", "HERALD_KUBELET", "k8s.io/kubernetes/cmd/kubelet");
  const scheduler = await kubeBinary(
    "kube-scheduler",
    "HERALD_KUBE_SCHEDULER",
    "k8s.io/kubernetes/cmd/kube-scheduler",
  );
  const proxy = await kubeBinary(
    "kube-proxy",
    "HERALD_KUBE_PROXY",
    "k8s.io/kubernetes/cmd/kube-proxy",
  );
  return { ...kube, etcd, kubelet, scheduler, proxy };
}

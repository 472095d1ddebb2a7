/**
 * Membership from the `<broker>-membership` ConfigMap, watched through the
 * Kubernetes API. Broker RBAC grants get/list/watch on that one object by
 * resourceName, so the list and watch select it by `metadata.name`. The
 * shared supervised informer restarts the watch with backoff after errors,
 * re-lists on 410 Gone and replaces a watch that went silent.
 */
import { KubeConfig, KubernetesObjectApi, type V1ConfigMap } from "@kubernetes/client-node";
import { makeListWatch } from "../../../lib/kube/list-watch.ts";
import type { ResourceKind } from "../../../lib/kube/resource-kind.ts";
import {
  defaultSupervisionOptions,
  SupervisedInformer,
  type SupervisionOptions,
} from "../../../lib/kube/supervised-informer.ts";
import type { Logger } from "../../../lib/process/logger.ts";
import {
  type Membership,
  MembershipFormatError,
  parseMembershipConfigMap,
} from "../../../contract/membership.ts";
import type { MembershipSource } from "./membership.ts";

const configMapKind: ResourceKind = {
  group: "",
  version: "v1",
  kind: "ConfigMap",
  plural: "configmaps",
};

export interface KubeMembershipOptions {
  readonly namespace: string;
  readonly configMapName: string;
  readonly logger: Logger;
  /** Defaults to the pod's in-cluster config, else $KUBECONFIG or ~/.kube/config. */
  readonly kubeConfig?: KubeConfig;
  readonly supervision?: SupervisionOptions;
}

export class KubeMembershipSource implements MembershipSource {
  readonly #options: KubeMembershipOptions;
  #informer: SupervisedInformer<V1ConfigMap> | undefined;

  constructor(options: KubeMembershipOptions) {
    this.#options = options;
  }

  async start(onMembership: (membership: Membership) => void): Promise<void> {
    const { namespace, configMapName, logger } = this.#options;
    const kubeConfig = this.#options.kubeConfig ?? loadDefaultKubeConfig();
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    const log = logger.child({ configMap: `${namespace}/${configMapName}` });
    this.#informer = new SupervisedInformer<V1ConfigMap>(
      "membership",
      () =>
        makeListWatch<V1ConfigMap>(kubeConfig, objects, configMapKind, namespace, {
          fieldSelector: `metadata.name=${configMapName}`,
        }),
      (configMap) => {
        if (configMap.metadata?.name !== configMapName) return;
        try {
          onMembership(parseMembershipConfigMap(configMap.data));
        } catch (err) {
          if (!(err instanceof MembershipFormatError)) throw err;
          log.warn({ err: err.message }, "ignoring a malformed membership ConfigMap");
        }
      },
      log,
      {
        ...defaultSupervisionOptions,
        restartBaseDelayMs: 500,
        restartMaxDelayMs: 15_000,
        ...this.#options.supervision,
      },
    );
    await this.#informer.start();
  }

  async stop(): Promise<void> {
    await this.#informer?.stop();
  }
}

/**
 * In a pod (KUBERNETES_SERVICE_HOST set) the service-account config always
 * wins: `loadFromDefault` alone would prefer a ~/.kube/config that a process
 * run on a developer machine (the process kubelet) may find, and act as that
 * user instead of the broker's least-privilege ServiceAccount.
 */
function loadDefaultKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (process.env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}

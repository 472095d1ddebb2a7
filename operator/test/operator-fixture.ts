import { PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import type { TestEnv } from "../../testing/test-env.ts";
import type { MessageBrokerInput } from "../api/v1alpha1/index.ts";
import { installHeraldCrds, operatorKubeconfig } from "./cluster.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";
import { apply, connect, createNamespace, read } from "../../testing/kube-cluster.ts";

/**
 * One test file's world: a fresh namespace, the CRD, and operators that run as a
 * ServiceAccount holding only the generated RBAC and watch only that namespace.
 */
export async function operatorFixture(env: TestEnv, prefix: string) {
  const cluster = connect(env);
  await installHeraldCrds(cluster);
  const namespace = await createNamespace(cluster, prefix);
  const identity = await operatorKubeconfig(cluster, namespace.name, namespace.name);
  const operators: OperatorProcess[] = [];
  return {
    cluster,
    namespace: namespace.name,
    operatorUser: identity.username,
    kubeconfigFor: identity.kubeconfigFor,
    /** Runs an operator; `kubeconfig` defaults to one that reaches the API server directly. */
    startOperator(
      name = "operator-a",
      extraEnv: Record<string, string> = {},
      kubeconfig = identity.file,
    ): OperatorProcess {
      const operator = startOperatorProcess({
        kubeconfig,
        watchNamespace: namespace.name,
        leaseNamespace: namespace.name,
        identity: name,
        extraEnv,
      });
      operators.push(operator);
      return operator;
    },
    applyBroker(
      name: string,
      spec: MessageBrokerInput["spec"],
      metadata: Record<string, unknown> = {},
    ) {
      return apply(cluster, {
        apiVersion: "herald.dev/v1alpha1",
        kind: "MessageBroker",
        metadata: { name, namespace: namespace.name, ...metadata },
        spec,
      } as KubernetesObject);
    },
    /** Changes an annotation only: the broker is reconciled, its generation stays. */
    touchBroker(name: string, value: string) {
      return cluster.objects.patch(
        {
          apiVersion: "herald.dev/v1alpha1",
          kind: "MessageBroker",
          metadata: {
            name,
            namespace: namespace.name,
            annotations: { "example.com/touched": value },
          },
        },
        undefined,
        undefined,
        "herald-tests",
        undefined,
        PatchStrategy.MergePatch,
      );
    },
    readBroker(name: string) {
      return read<KubernetesObject & { status?: BrokerStatus }>(
        cluster,
        "herald.dev/v1alpha1",
        "MessageBroker",
        namespace.name,
        name,
      );
    },
    async teardown(): Promise<void> {
      await Promise.all(operators.map((operator) => operator.stop()));
      await namespace.remove();
      await identity.remove();
    },
  };
}

export type OperatorFixture = Awaited<ReturnType<typeof operatorFixture>>;

export interface BrokerStatus {
  observedGeneration?: number;
  phase?: string;
  replicas?: number;
  readyReplicas?: number;
  selector?: string;
  conditions?: {
    type: string;
    status: string;
    reason: string;
    message: string;
    lastTransitionTime: string;
  }[];
}

export function condition(status: BrokerStatus | undefined, type: string) {
  return status?.conditions?.find((c) => c.type === type);
}

/** Dumps an operator's last log lines into a failure message. */
export function tail(operator: OperatorProcess, lines = 30): string {
  return operator.logs
    .slice(-lines)
    .map((line) => JSON.stringify(line))
    .join("\n");
}

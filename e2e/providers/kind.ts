/**
 * The kind provider: a kind cluster on which `make e2e-kind` installed the chart. The scenario
 * gets a namespace of its own with a PostgreSQL in it; this process reaches broker pods through
 * `kubectl port-forward`, behind a fixed local address per pod that outlives pod replacements.
 */
import { randomBytes } from "node:crypto";
import { ports } from "../../operator/render/ports.ts";
import { describeFailure, runCommand } from "../chart/tools.ts";
import { kubectlArgs, portForwardArgs } from "../kind/commands.ts";
import { PodForwards } from "../kind/pod-forwards.ts";
import { startPodProxy, type PodProxy } from "../kind/pod-proxy.ts";
import { killOperatorPod } from "../kind/pods.ts";
import { startPortForward } from "../kind/port-forward.ts";
import { kindSettings, operatorRelease } from "../kind/settings.ts";
import type { Provider } from "../scenarios/provider.ts";
import { namespaceWithPostgres } from "./scenario-namespace.ts";

/** Above the longest kubectl --timeout the scenario passes (90 s). */
const kubectlTimeoutMs = 180_000;

export async function startKindProvider(cluster = kindSettings().cluster): Promise<Provider> {
  const namespace = `herald-e2e-${randomBytes(3).toString("hex")}`;
  const kubectlIn = async (ns: string, args: readonly string[], stdin?: string) => {
    const result = await runCommand("kubectl", kubectlArgs(cluster, ns, args), {
      input: stdin,
      timeoutMs: kubectlTimeoutMs,
    });
    if (result.code !== 0) throw new Error(describeFailure(`kubectl ${args.join(" ")}`, result));
    return result.stdout;
  };
  const kubectl = (args: readonly string[], stdin?: string) => kubectlIn(namespace, args, stdin);

  // The first run pulls the image into the node.
  const postgresFacts = await namespaceWithPostgres(kubectl, namespace, { timeoutSeconds: 240 });

  const forwards = new PodForwards({
    async podUid(pod) {
      const uid = (await kubectl(["get", "pod", pod, "-o", "jsonpath={.metadata.uid}"])).trim();
      if (!uid) throw new Error(`pod ${pod} has no uid`);
      return uid;
    },
    start: (pod) =>
      startPortForward("kubectl", portForwardArgs(cluster, namespace, pod, ports.grpc.port)),
  });
  const proxies = new Map<string, Promise<PodProxy>>();

  return {
    name: "kind",
    namespace,
    kubectl,
    async podAddress(pod) {
      // Fails here, not at the client's first call, when the pod cannot be reached.
      await forwards.port(pod);
      let proxy = proxies.get(pod);
      if (!proxy) {
        proxy = startPodProxy(() => forwards.port(pod));
        proxies.set(pod, proxy);
      }
      return (await proxy).address;
    },
    postgres: postgresFacts,
    killOperator: () => killOperatorPod((args) => kubectlIn(operatorRelease.namespace, args)),
    async stop() {
      forwards.stopAll();
      await Promise.all(
        [...proxies.values()].map((proxy) => proxy.then((p) => p.close()).catch(() => undefined)),
      );
      // Not waited for: the operator, still running, finishes what is left in the namespace.
      await kubectl(["delete", "namespace", namespace, "--wait=false"]).catch(() => "");
    },
  };
}

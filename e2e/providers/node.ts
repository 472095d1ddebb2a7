/**
 * The node provider: the node lane's cluster (e2e/env/parts/node), on which `make e2e-node`
 * installed the chart. The scenario gets a namespace of its own with a PostgreSQL pod in it;
 * this process reaches broker pods directly at their addresses on the node's bridge.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ports } from "../../operator/render/ports.ts";
import { EnvError } from "../../testing/env-error.ts";
import { killOperatorPod } from "../kind/pods.ts";
import { startPortForward } from "../kind/port-forward.ts";
import { cassandraImage, operatorRelease, postgresImage } from "../node/settings.ts";
import type { Provider } from "../scenarios/provider.ts";
import { kubectlRunner } from "./kubectl.ts";
import { namespaceWithPostgres } from "./scenario-namespace.ts";

/** Set by `make e2e-node` (e2e/node/main.ts) for the scenarios it runs. */
const NodeEnvSchema = z.object({
  HERALD_NODE_KUBECONFIG: z.string(),
  HERALD_NODE_KUBECTL: z.string(),
});

export async function startNodeProvider(env: NodeJS.ProcessEnv = process.env): Promise<Provider> {
  const parsed = NodeEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new EnvError(
      "node",
      "HERALD_NODE_KUBECONFIG and HERALD_NODE_KUBECTL are not set",
      "run the scenarios through `make e2e-node`",
    );
  }
  const { HERALD_NODE_KUBECONFIG: kubeconfig, HERALD_NODE_KUBECTL: kubectlBin } = parsed.data;
  const namespace = `herald-e2e-${randomBytes(3).toString("hex")}`;
  const kubectlIn = kubectlRunner(kubectlBin, ["--kubeconfig", kubeconfig]);
  const kubectl = (args: readonly string[], stdin?: string) => kubectlIn(namespace, args, stdin);
  const image = `${postgresImage.repository}:${postgresImage.tag}`;
  const postgresFacts = await namespaceWithPostgres(kubectl, namespace, {
    image,
    timeoutSeconds: 120,
  });

  return {
    name: "node",
    namespace,
    kubectl,
    async podAddress(pod) {
      const ip = (await kubectl(["get", "pod", pod, "-o", "jsonpath={.status.podIP}"])).trim();
      if (!ip) throw new Error(`pod ${pod} has no IP yet`);
      return `${ip}:${ports.grpc.port}`;
    },
    postgres: postgresFacts,
    managedPostgres: { version: postgresImage.tag },
    managedCassandra: {
      version: cassandraImage.tag,
      image: `${cassandraImage.repository}:${cassandraImage.tag}`,
    },
    async serviceAddress(service) {
      const ip = (
        await kubectl(["get", "service", service, "-o", "jsonpath={.spec.clusterIP}"])
      ).trim();
      if (!ip) throw new Error(`Service ${service} has no cluster IP`);
      // Routed onto the node's bridge; kube-proxy picks a ready endpoint.
      return `${ip}:${ports.grpc.port}`;
    },
    async portForward(pod, port) {
      const forward = await startPortForward(kubectlBin, [
        "--kubeconfig",
        kubeconfig,
        "-n",
        namespace,
        "port-forward",
        "--address",
        "127.0.0.1",
        `pod/${pod}`,
        `:${port}`,
      ]);
      return { address: `127.0.0.1:${forward.port}`, stop: () => forward.stop() };
    },
    killOperator: () => killOperatorPod((args) => kubectlIn(operatorRelease.namespace, args)),
    async stop() {
      // Not waited for: the operator, still running, finishes what is left in the namespace.
      await kubectl(["delete", "namespace", namespace, "--wait=false"]).catch(() => "");
    },
  };
}

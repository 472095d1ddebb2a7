import type { V1NetworkPolicy, V1NetworkPolicyPort } from "@kubernetes/client-node";
import { workerPort } from "../../contract/ports.ts";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import type { RenderContext } from "./context.ts";
import { childMetadata, selectorLabels } from "./metadata.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";
import { desiredWorkers } from "./workers.ts";

/**
 * Ingress to the brokers: clients reach the client port (Envoy's when rate limiting is on, so it
 * cannot be bypassed: Envoy reaches the broker's own port on loopback) and the gateway when it is
 * on, anyone may scrape metrics, and only peers reach the cluster port (docs/security.md#the-cluster-port).
 * With several workers per pod, each worker's own ports as well: its gRPC port like the client
 * port (never with rate limiting, as clients then go through Envoy) and its cluster port like the
 * cluster port, for as many workers as any pod, desired or still running, has.
 * Egress stays open: brokers dial the API server, their store and the collector.
 */
export function renderNetworkPolicy(broker: MessageBroker, ctx: RenderContext): V1NetworkPolicy {
  const brokers = { matchLabels: selectorLabels(broker, "broker") };
  const limited = broker.spec.rateLimit.enabled;
  const clientPort = limited ? ports.envoyGrpc.name : ports.grpc.name;
  const workers = Math.max(desiredWorkers(broker.spec), ...ctx.podWorkers.values());
  const workerPorts = (base: number) => (workers > 1 ? [workerRange(base, workers)] : []);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: childMetadata(broker, {
      name: childNames(broker).networkPolicy,
      component: "broker",
    }),
    spec: {
      podSelector: brokers,
      policyTypes: ["Ingress"],
      ingress: [
        {
          ports: [
            { protocol: "TCP", port: clientPort },
            ...(limited ? [] : workerPorts(ports.workerGrpc.port)),
            { protocol: "TCP", port: ports.http.name },
            ...(broker.spec.web.enabled ? [{ protocol: "TCP", port: ports.web.name }] : []),
          ],
        },
        {
          _from: [{ podSelector: brokers }],
          // A pod of one worker, perhaps one not yet replaced, listens on the cluster port.
          ports: [
            { protocol: "TCP", port: ports.cluster.name },
            ...workerPorts(ports.workerCluster.port),
          ],
        },
      ],
    },
  };
}

/** Ports base..base+workers-1: worker i listens on base + i (contract/ports.ts workerPort). */
function workerRange(base: number, workers: number): V1NetworkPolicyPort {
  return { protocol: "TCP", port: base, endPort: workerPort(base, workers - 1) };
}

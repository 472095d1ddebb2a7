/**
 * The broker's listeners. The operator points the pod's ports, probes, Services and NetworkPolicies
 * at them by name; the broker listens on the numbers by default.
 */
export const brokerPorts = {
  /** The gRPC API for clients (Broker, health, reflection). */
  grpc: { name: "grpc", port: 50051 },
  /** Calls between members (forwarding, relays, handoff), apart from clients (docs/security.md). */
  cluster: { name: "cluster", port: 50052 },
  /** /metrics, /healthz, /readyz and /cluster. */
  http: { name: "http", port: 9464 },
  /** The HTTP/WebSocket gateway, when the broker is given HERALD_WEB_ADDR. */
  web: { name: "web", port: 8080 },
  /**
   * With several workers in a pod (docs/architecture.md#workers): worker i's own gRPC listener is
   * this port + i, so a routing client reaches the worker that owns a subject.
   */
  workerGrpc: { name: "worker-grpc", port: 50100 },
  /** With several workers in a pod: worker i's cluster listener is this port + i. */
  workerCluster: { name: "worker-cluster", port: 50200 },
} as const;

/** Most workers one broker pod runs; each worker's own ports lie in [base, base + maxWorkers). */
export const maxWorkers = 64;

/**
 * The member name of worker `index` of a pod running several workers: each worker is a member of
 * the cluster in its own right, owning subjects by the same rendezvous hashing as pods.
 */
export const workerMemberName = (pod: string, index: number): string => `${pod}~${index}`;

/** The pod a member runs in: the inverse of workerMemberName, and a pod's own name unchanged. */
export const memberPod = (memberName: string): string => memberName.replace(/~\d+$/, "");

/** Worker `index`'s own port above a base port (HERALD_WORKER_GRPC_ADDR, HERALD_WORKER_CLUSTER_ADDR). */
export const workerPort = (basePort: number, index: number): number => basePort + index;

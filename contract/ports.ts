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
} as const;

/**
 * The broker's listeners. The operator points the pod's ports, probes, Services and NetworkPolicies
 * at them by name; the broker listens on the numbers by default.
 */
export const brokerPorts = {
  /** The gRPC API (Broker, health, reflection, cluster forwarding). */
  grpc: { name: "grpc", port: 50051 },
  /** /metrics, /healthz, /readyz and /cluster. */
  http: { name: "http", port: 9464 },
  /** The HTTP/WebSocket gateway, when the broker is given HERALD_WEB_ADDR. */
  web: { name: "web", port: 8080 },
} as const;

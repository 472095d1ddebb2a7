import { brokerPorts } from "../../contract/ports.ts";

/** Container ports and their names; Services, probes and NetworkPolicies refer to them by name. */
export const ports = {
  ...brokerPorts,
  /** Envoy's rate-limited gRPC listener, in front of the broker when rateLimit is on. */
  envoyGrpc: { name: "grpc-limited", port: 50061 },
  /** Envoy admin, bound to 127.0.0.1 only. */
  envoyAdmin: { port: 9901 },
  postgres: { name: "postgres", port: 5432 },
  cql: { name: "cql", port: 9042 },
  cassandraIntraNode: { name: "intra-node", port: 7000 },
} as const;

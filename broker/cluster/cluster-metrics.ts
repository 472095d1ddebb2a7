/**
 * Cluster metrics, on the broker's registry: calls forwarded to owners, the
 * adopted membership epoch, and handoff answers.
 */
import { Counter, Gauge, type Registry } from "prom-client";

export function createClusterMetrics(registry: Registry) {
  const registers = [registry];
  return {
    forwardedCalls: new Counter({
      name: "herald_forwarded_calls_total",
      help: "Calls forwarded to the subject's owner, by method and gRPC status code.",
      labelNames: ["method", "code"] as const,
      registers,
    }),
    membershipEpoch: new Gauge({
      name: "herald_membership_epoch",
      help: "The adopted cluster membership epoch (-1 before the first).",
      registers,
    }),
    handoffs: new Counter({
      name: "herald_handoff_answers_total",
      help: "Handoff calls to other members when taking a subject over, by outcome (unreachable = fell back to the store).",
      labelNames: ["result"] as const,
      registers,
    }),
  };
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ReconcileOutcome } from "../controller/controller.ts";

/** The operator's Prometheus metrics , plus the process defaults (RSS, CPU, event loop). */
export function operatorMetrics(sources: {
  queueDepth: () => number;
  managedBrokers: () => number;
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const reconciles = new Counter({
    name: "herald_reconcile_total",
    help: "Reconciles of MessageBrokers, by result: success, requeue or error.",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  // Every result shows from the start, at zero, so rate() and alerts see the series.
  for (const result of ["success", "requeue", "error"] as const) reconciles.inc({ result }, 0);
  const duration = new Histogram({
    name: "herald_reconcile_duration_seconds",
    help: "Time one reconcile of a MessageBroker takes.",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: "herald_workqueue_depth",
    help: "MessageBroker keys waiting to be reconciled.",
    registers: [registry],
    collect() {
      this.set(sources.queueDepth());
    },
  });
  new Gauge({
    name: "herald_managed_brokers",
    help: "MessageBrokers in the watched namespaces.",
    registers: [registry],
    collect() {
      this.set(sources.managedBrokers());
    },
  });
  return {
    registry,
    observeReconcile(outcome: ReconcileOutcome, seconds: number): void {
      reconciles.inc({ result: outcome });
      duration.observe(seconds);
    },
  };
}

/**
 * The broker's Prometheus metrics, on a registry the HTTP server exposes at
 * /metrics. Names follow the herald_ prefix of DESIGN §5.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function createBrokerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    messagesPublished: new Counter({
      name: "herald_messages_published_total",
      help: "Messages acknowledged to publishers (durable in the store).",
      registers,
    }),
    batchMessages: new Histogram({
      name: "herald_batch_messages",
      help: "Messages per group-commit store write.",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048],
      registers,
    }),
    batchWriteSeconds: new Histogram({
      name: "herald_batch_write_seconds",
      help: "Duration of group-commit store writes.",
      labelNames: ["result"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    }),
    subscribers: new Gauge({
      name: "herald_subscribers",
      help: "Open Subscribe streams.",
      registers,
    }),
    subscriberOverflows: new Counter({
      name: "herald_subscriber_overflows_total",
      help: "Subscribe streams ended with RESOURCE_EXHAUSTED because the subscriber fell too far behind.",
      registers,
    }),
    storeAvailable: new Gauge({
      name: "herald_store_available",
      help: "1 while the message store answers, 0 while it is unreachable.",
      registers,
    }),
  };
}

export type BrokerMetrics = ReturnType<typeof createBrokerMetrics>;

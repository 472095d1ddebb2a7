/**
 * Consumer-group metrics, on the broker's registry: per group, what waits for a
 * delivery, what members hold unacknowledged, the lag behind each subject's
 * last id, and counters of redeliveries, dead letters, acks and expiries.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { GroupEvents, GroupStats } from "./consumer-groups.ts";

export function createGroupMetrics(registry: Registry, stats: () => readonly GroupStats[]) {
  const registers = [registry];
  const labelNames = ["group"] as const;
  const gauge = (name: string, help: string, value: (stats: GroupStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const group of stats()) this.set({ group: group.group }, value(group));
      },
    });
  gauge(
    "herald_group_pending_messages",
    "Messages a consumer group has not delivered yet or must deliver again.",
    (group) => group.pending,
  );
  gauge(
    "herald_group_ack_pending_messages",
    "Messages delivered to a consumer group's members and not yet acknowledged.",
    (group) => group.ackPending,
  );
  gauge(
    "herald_group_lag_messages",
    "Per consumer group, the sum over its subjects of the last id minus the group's floor (the last id below which everything is settled).",
    (group) => group.lag,
  );
  const counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames, registers });
  const redelivered = counter(
    "herald_group_redelivered_total",
    "Deliveries of a message after its first (ack wait passed, holder left, or NAK).",
  );
  const deadLettered = counter(
    "herald_group_dead_lettered_total",
    "Messages appended to the group's dead-letter subject (out of attempts or TERM).",
  );
  const acked = counter(
    "herald_group_acked_total",
    "Acknowledgements whose removal from the pending set is durable.",
  );
  const expired = counter(
    "herald_group_expired_total",
    "Pending messages that expired or were purged before they were acknowledged.",
  );
  const events: GroupEvents = {
    redelivered: (group) => redelivered.inc({ group }),
    deadLettered: (group) => deadLettered.inc({ group }),
    acked: (group) => acked.inc({ group }),
    expired: (group) => expired.inc({ group }),
  };
  return events;
}

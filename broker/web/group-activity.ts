/**
 * A consumer group's members, redeliveries and dead letters on this member, for the console's
 * `GET /v1/groups`: members from the group engine, the counts from the broker's own
 * `herald_group_redelivered_total` and `herald_group_dead_lettered_total` counters.
 */
import type { Registry } from "prom-client";
import type { GroupStats } from "../groups/consumer-groups.ts";
import type { GroupActivity } from "./console-source.ts";

/** Per group, the value of a counter labelled `group`. */
async function countsByGroup(registry: Registry, name: string): Promise<Map<string, number>> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return new Map(values.map(({ labels, value }) => [String(labels.group), value]));
}

export async function readGroupActivity(
  registry: Registry,
  stats: readonly Pick<GroupStats, "group" | "members">[],
): Promise<Map<string, GroupActivity>> {
  const [redelivered, deadLettered] = await Promise.all([
    countsByGroup(registry, "herald_group_redelivered_total"),
    countsByGroup(registry, "herald_group_dead_lettered_total"),
  ]);
  const names = new Set([
    ...stats.map(({ group }) => group),
    ...redelivered.keys(),
    ...deadLettered.keys(),
  ]);
  const members = new Map(stats.map(({ group, members: count }) => [group, count]));
  return new Map(
    [...names].map((group) => [
      group,
      {
        members: members.get(group) ?? 0,
        redelivered: redelivered.get(group) ?? 0,
        deadLettered: deadLettered.get(group) ?? 0,
      },
    ]),
  );
}

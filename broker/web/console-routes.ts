/**
 * The web console's read-only JSON routes (broker/README.md#web-console): the cluster, the
 * subjects and the consumer groups, each as the caller may see them (console-access.ts). The
 * views are pure functions of what the broker reports; `serveConsoleRoute` does the I/O.
 */
import type { GroupInfo, ListGroupsResponse } from "../api/gen/broker.ts";
import type { BrokerHandlers } from "../server/broker-service.ts";
import { resolveExpiration } from "../server/validation.ts";
import { authenticate, mayRead } from "./console-access.ts";
import type { ConsoleSource, GroupActivity } from "./console-source.ts";
import { type CallOrigin, callUnary } from "./in-process-call.ts";
import { activityWindowSeconds, type SubjectActivityView } from "./subject-activity.ts";

export type ConsoleRoute = "cluster" | "subjects" | "groups";

export function clusterView(
  source: Pick<ConsoleSource, "cluster" | "ownerOf" | "notReadyReason">,
  subjects: readonly string[],
) {
  const { epoch, members, self } = source.cluster();
  const reason = source.notReadyReason();
  return {
    self,
    epoch,
    members: members.map(({ name, address }) => ({ name, address, self: name === self })),
    health: { ready: reason === undefined, reason: reason ?? null },
    subjects: subjects.map((subject) => ({ subject, owner: source.ownerOf(subject) ?? null })),
  };
}

export function subjectsView(
  retention: ConsoleSource["retention"],
  subjects: readonly SubjectActivityView[],
) {
  return {
    retention: {
      // What a publish without an expiry gets (0: never expires), as the publish path resolves it.
      defaultExpirationSeconds: resolveExpiration(0, retention),
      maxExpirationSeconds: retention.maxExpirationSeconds ?? null,
    },
    windowSeconds: activityWindowSeconds,
    subjects,
  };
}

const total = (info: GroupInfo, field: "pending" | "ackPending" | "lag") =>
  info.subjects.reduce((sum, subject) => sum + subject[field], 0);

export function groupsView(
  listing: ListGroupsResponse,
  activity: ReadonlyMap<string, GroupActivity>,
) {
  return {
    groups: listing.groups.map((info) => ({
      group: info.group,
      subject: info.subject,
      ackWaitMs: info.ackWaitMs,
      maxDeliveries: info.maxDeliveries,
      startId: info.startId,
      members: activity.get(info.group)?.members ?? 0,
      redelivered: activity.get(info.group)?.redelivered ?? 0,
      deadLettered: activity.get(info.group)?.deadLettered ?? 0,
      pending: total(info, "pending"),
      ackPending: total(info, "ackPending"),
      lag: total(info, "lag"),
      subjects: info.subjects,
    })),
  };
}

/** The JSON body of `route` for the caller `origin`; rejects with the call's typed error. */
export async function consoleRouteBody(
  route: ConsoleRoute,
  source: ConsoleSource,
  handlers: Pick<BrokerHandlers, "listGroups">,
  origin: CallOrigin,
): Promise<object> {
  if (route === "groups") {
    // ListGroups itself authenticates and lists only the groups the caller may consume.
    const [listing, activity] = await Promise.all([
      callUnary(handlers.listGroups, { group: "" }, origin),
      source.groupActivity(),
    ]);
    return groupsView(listing, activity);
  }
  const visible = mayRead(await authenticate(source, origin));
  const subjects = source.subjects.snapshot(visible);
  if (route === "subjects") return subjectsView(source.retention, subjects);
  return clusterView(
    source,
    subjects.map(({ subject }) => subject),
  );
}

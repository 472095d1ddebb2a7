/**
 * Consumer groups (ListGroups): settings, members, pending, lag, redeliveries and dead letters,
 * which link to the live tail of the group's dead-letter subjects.
 */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { href } from "../route.ts";
import { GroupsBody } from "../schemas.ts";
import { formatSeconds, TableHead } from "./common.ts";
import { polledPage } from "./polled-section.ts";

type Group = GroupsBody["groups"][number];

const counts = ["Members", "Pending", "Ack pending", "Lag", "Redelivered", "Dead letters"];

/** The dead-letter subjects of a group: `$DLQ.<group>.<subject>` (broker/README.md#consumer-groups). */
export const dlqPattern = (group: string): string => `$DLQ.${group}.>`;

/** One subject of a group in a line; pure. */
export const describeSubject = (subject: Group["subjects"][number]): string =>
  `${subject.subject}: ${subject.pending} pending, ${subject.ackPending} held, lag ${subject.lag}`;

/** A group's settings in a line; pure. */
export const describeSettings = (group: Group): string =>
  `ack wait ${formatSeconds(group.ackWaitMs / 1000)}, ${group.maxDeliveries} deliveries, ` +
  `from ${group.startId === 0 ? "new messages" : `id ${group.startId}`}`;

export function GroupsTable({ body }: { body: GroupsBody }): VNode {
  if (body.groups.length === 0) return html`<p class="muted">No consumer group yet.</p>`;
  return html`<table id="groups">
    <${TableHead} columns=${["Group", "Subject", ...counts, "Settings"]} numeric=${counts} />
    <tbody>
      ${body.groups.map(
        (group) =>
          html`<tr key=${group.group} data-group=${group.group}>
            <td><strong>${group.group}</strong></td>
            <td>
              <code>${group.subject}</code>
              ${group.subjects.map(
                (subject) =>
                  html`<div class="muted small" key=${subject.subject}>
                    ${describeSubject(subject)}
                  </div>`,
              )}
            </td>
            <td class="number members">${group.members}</td>
            <td class="number pending">${group.pending}</td>
            <td class="number ack-pending">${group.ackPending}</td>
            <td class=${`number lag${group.lag > 0 ? " warn" : ""}`}>${group.lag}</td>
            <td class="number redelivered">${group.redelivered}</td>
            <td class=${`number dead-lettered${group.deadLettered > 0 ? " warn" : ""}`}>
              <a
                href=${href("tail", dlqPattern(group.group))}
                title=${`tail ${dlqPattern(group.group)}`}
                >${group.deadLettered}</a
              >
            </td>
            <td class="small">${describeSettings(group)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export const Groups = polledPage(
  "Consumer groups",
  "/v1/groups",
  GroupsBody,
  2000,
  (body: GroupsBody) => html`<${GroupsTable} body=${body} />`,
);

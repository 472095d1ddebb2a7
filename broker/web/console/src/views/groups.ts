/** Consumer groups (ListGroups): settings, members, pending, redeliveries and dead letters. */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { href } from "../route.ts";
import { GroupsBody } from "../schemas.ts";
import { formatSeconds, TableHead } from "./common.ts";
import { polledPage } from "./polled-section.ts";

type Group = GroupsBody["groups"][number];

const counts = ["Members", "Pending", "Ack pending", "Lag", "Redelivered", "Dead letters"];

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
            <td class="number">${group.pending}</td>
            <td class="number">${group.ackPending}</td>
            <td class="number">${group.lag}</td>
            <td class="number">${group.redelivered}</td>
            <td class="number">
              ${
                group.deadLettered > 0
                  ? html`<a href=${href("tail", `$DLQ.${group.group}.>`)}>${group.deadLettered}</a>`
                  : "0"
              }
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

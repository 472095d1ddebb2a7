/** The landing page: every subject the caller may read, with its last id, rate and retention. */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { href } from "../route.ts";
import { SubjectsBody } from "../schemas.ts";
import { RateChart } from "./rate-chart.ts";
import { formatRate, formatSeconds, TableHead } from "./common.ts";
import { polledPage } from "./polled-section.ts";

/** Messages per second of `chosen` (every subject when empty), oldest second first; pure. */
export const perSecondOf = (body: SubjectsBody, chosen: string): number[] =>
  Array.from({ length: body.windowSeconds }, (_, index) =>
    body.subjects
      .filter(({ subject }) => chosen === "" || subject === chosen)
      .reduce((sum, subject) => sum + (subject.perSecond[index] ?? 0), 0),
  );

/** The chart of the last minute, of every subject or of the one chosen. */
function SubjectsChart({ body }: { body: SubjectsBody }): VNode {
  const [chosen, setChosen] = useState("");
  return html`<div class="facts">
      <h3>Published, last ${body.windowSeconds} s</h3>
      <select
        id="chart-subject"
        value=${chosen}
        onChange=${(event: Event) => setChosen((event.currentTarget as HTMLSelectElement).value)}
      >
        <option value="">all subjects</option>
        ${body.subjects.map(({ subject }) => html`<option value=${subject}>${subject}</option>`)}
      </select>
    </div>
    <${RateChart} perSecond=${perSecondOf(body, chosen)} />`;
}

const counts = ["Last id", "Messages / s"];

/** The broker's retention, which every subject has; pure. */
export const retentionText = (retention: SubjectsBody["retention"]): string =>
  `Retention (every subject): default expiry ${formatSeconds(retention.defaultExpirationSeconds)}, ` +
  `maximum ${formatSeconds(retention.maxExpirationSeconds)}`;

export function SubjectsTable({ body }: { body: SubjectsBody }): VNode {
  const { retention } = body;
  return html`<p class="muted">${retentionText(retention)}</p>
    ${
      body.subjects.length === 0
        ? html`<p class="muted">No subject has messages stored through this broker yet.</p>`
        : html`<table id="subjects">
            <${TableHead} columns=${["Subject", ...counts, "Retention", ""]} numeric=${counts} />
            <tbody>
              ${body.subjects.map(
                (subject) =>
                  html`<tr key=${subject.subject} data-subject=${subject.subject}>
                    <td><code>${subject.subject}</code></td>
                    <td class="number last-id">${subject.lastId}</td>
                    <td class="number">${formatRate(subject.ratePerSecond)}</td>
                    <td>${formatSeconds(retention.defaultExpirationSeconds)}</td>
                    <td>
                      <span class="facts">
                        <a href=${href("tail", subject.subject)}>Tail</a>
                        <a href=${href("publish", subject.subject)}>Publish</a>
                      </span>
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}

export const Subjects = polledPage(
  "Subjects",
  "/v1/subjects",
  SubjectsBody,
  2000,
  (body: SubjectsBody) => html`<${SubjectsChart} body=${body} /> <${SubjectsTable} body=${body} />`,
);

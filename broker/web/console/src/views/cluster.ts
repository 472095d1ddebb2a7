/** The cluster: this member's health, the members of the adopted epoch and who owns each subject. */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { ClusterBody } from "../schemas.ts";
import { TableHead } from "./common.ts";
import { polledPage } from "./polled-section.ts";

export function ClusterTables({ body }: { body: ClusterBody }): VNode {
  const { health } = body;
  const healthText = health.ready ? "ready" : `not ready: ${health.reason ?? ""}`;
  return html`<p class="facts">
      <span>Epoch <strong id="epoch">${body.epoch}</strong></span>
      <span>This member: <strong>${body.self}</strong></span>
      <span class=${health.ready ? "badge ok" : "badge bad"} id="health">${healthText}</span>
    </p>
    <h3>Members</h3>
    <table id="members">
      <${TableHead} columns=${["Name", "Address", ""]} />
      <tbody>
        ${body.members.map(
          (member) =>
            html`<tr key=${member.name}>
              <td>${member.name}</td>
              <td><code>${member.address}</code></td>
              <td>${member.self ? "this member" : ""}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>Subject owners</h3>
    ${
      body.subjects.length === 0
        ? html`<p class="muted">No subject known yet.</p>`
        : html`<table id="owners">
            <${TableHead} columns=${["Subject", "Owner"]} />
            <tbody>
              ${body.subjects.map(
                ({ subject, owner }) =>
                  html`<tr key=${subject}>
                    <td><code>${subject}</code></td>
                    <td>${owner ?? "none (no membership)"}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}

export const Cluster = polledPage(
  "Cluster",
  "/v1/cluster",
  ClusterBody,
  5000,
  (body: ClusterBody) => html`<${ClusterTables} body=${body} />`,
);

/** Pieces every view shows: a failure, a loading line, numbers and durations. */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { ApiError, describeError } from "../api.ts";
import { href } from "../route.ts";

/** A failure as the gateway stated it; a refused credential links to the sign-in page. */
export function ErrorBanner({ error }: { error: unknown }): VNode | null {
  if (error === undefined) return null;
  const signIn = error instanceof ApiError && (error.status === 401 || error.status === 403);
  return html`<div class="error" role="alert">
    <strong>${describeError(error)}</strong>
    ${signIn ? html` <a href=${href("signin")}>Sign in with another token</a>` : null}
  </div>`;
}

export const Loading = (): VNode => html`<p class="muted">Loading…</p>`;

export const formatRate = (perSecond: number): string =>
  perSecond === 0 ? "0" : perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond).toString();

const units: readonly [string, number][] = [
  ["d", 86_400],
  ["h", 3600],
  ["min", 60],
];

/** An expiry or a wait: 0 never expires; null (a maximum) has no limit; whole days, hours or minutes when it is one. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return "no limit";
  if (seconds === 0) return "never";
  const unit = units.find(([, size]) => seconds % size === 0);
  return unit === undefined ? `${seconds} s` : `${seconds / unit[1]} ${unit[0]}`;
}

/** A table's header row; the `numeric` columns are right-aligned, as their cells are. */
export const TableHead = ({
  columns,
  numeric = [],
}: {
  columns: readonly string[];
  numeric?: readonly string[];
}): VNode =>
  html`<thead>
    <tr>
      ${columns.map(
        (label) => html`<th class=${numeric.includes(label) ? "number" : undefined}>${label}</th>`,
      )}
    </tr>
  </thead>`;

/** A page that shows one gateway route, polled: its failure above the last data it had. */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { useCallback } from "preact/hooks";
import type { ZodMiniType } from "zod/mini";
import { getJson } from "../api.ts";
import { usePoll } from "../poll.ts";
import { ErrorBanner, Loading } from "./common.ts";

export interface PolledSectionProps<T> {
  readonly title: string;
  readonly path: string;
  readonly schema: ZodMiniType<T>;
  readonly token: string;
  readonly intervalMs: number;
  readonly render: (data: T) => VNode;
}

export function PolledSection<T>(props: PolledSectionProps<T>): VNode {
  const { path, schema, token } = props;
  const load = useCallback(() => getJson(path, schema, token), [path, schema, token]);
  const { data, error } = usePoll(load, props.intervalMs);
  const body =
    data !== undefined ? props.render(data) : error === undefined ? html`<${Loading} />` : null;
  return html`<section>
    <h2>${props.title}</h2>
    <${ErrorBanner} error=${error} />
    ${body}
  </section>`;
}

/** A page of one route: `render` draws what the route answered. */
export const polledPage =
  <T>(
    title: string,
    path: string,
    schema: ZodMiniType<T>,
    intervalMs: number,
    render: (data: T) => VNode,
  ) =>
  ({ token }: { token: string }): VNode =>
    html`<${PolledSection}
      title=${title}
      path=${path}
      schema=${schema}
      token=${token}
      intervalMs=${intervalMs}
      render=${render}
    />`;

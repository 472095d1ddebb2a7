/**
 * Live tail of a subject or pattern over Server-Sent Events (tail-stream.ts). Pause closes the
 * stream; resume opens it again after the last id shown, so nothing is missed or repeated (a
 * pattern is live only: it resumes live). "From id" starts at any id of a subject.
 */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { openTail } from "../tail-stream.ts";
import { addEntry, isPattern, type TailEntry, toEntry } from "../tail-entries.ts";
import { ErrorBanner, TableHead } from "./common.ts";

type Status = "stopped" | "connecting" | "live" | "paused" | "ended";

export function TailEntries({ entries }: { entries: readonly TailEntry[] }): VNode {
  return html`<table id="tail-entries">
    <${TableHead} columns=${["Id", "Subject", "Body"]} numeric=${["Id"]} />
    <tbody>
      ${entries.map(
        (entry) =>
          html`<tr
            key=${`${entry.subject}#${entry.id}`}
            data-id=${entry.id}
            data-subject=${entry.subject}
          >
            <td class="number">${entry.id}</td>
            <td><code>${entry.subject}</code></td>
            <td>
              ${entry.binary ? html`<span class="badge">base64</span> ` : null}
              <code class="preview">${entry.preview}</code>
              <span class="muted small"> ${entry.bytes} B</span>
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function Tail({ token, subject: initial }: { token: string; subject: string }): VNode {
  const [subject, setSubject] = useState(initial);
  const [from, setFrom] = useState("");
  const [status, setStatus] = useState<Status>("stopped");
  const [entries, setEntries] = useState<TailEntry[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const stop = useRef<() => void>(() => undefined);
  const lastId = useRef(0);
  useEffect(() => () => stop.current(), []);

  const start = (fromId: number) => {
    stop.current();
    setError(undefined);
    setStatus("connecting");
    stop.current = openTail(subject, fromId, token, {
      onOpen: () => setStatus("live"),
      onEvent: (event) => {
        if (event.event === "error") {
          setError(new Error(`the stream ended: ${event.data}`));
          return;
        }
        const entry = toEntry(event, subject);
        lastId.current = Math.max(lastId.current, entry.id);
        setEntries((previous) => addEntry(previous, entry));
      },
      onEnd: (err) => {
        setStatus("ended");
        if (err !== undefined) setError(err);
      },
    });
  };
  const follow = (event: Event) => {
    event.preventDefault();
    lastId.current = 0;
    setEntries([]);
    start(isPattern(subject) ? 0 : Number(from === "" ? "0" : from));
  };
  const pause = () => {
    stop.current();
    setStatus("paused");
  };
  const resume = () => start(isPattern(subject) || lastId.current === 0 ? 0 : lastId.current + 1);

  const controls: readonly [string, string, boolean, () => void][] = [
    ["pause", "Pause", status === "live" || status === "connecting", pause],
    ["resume", "Resume", status === "paused" || status === "ended", resume],
  ];

  return html`<section>
    <h2>Live tail</h2>
    <form class="inline" id="tail" onSubmit=${follow}>
      <label
        >Subject or pattern
        <input
          name="subject"
          required
          value=${subject}
          placeholder="orders.> "
          onInput=${(event: Event) => setSubject((event.currentTarget as HTMLInputElement).value)}
      /></label>
      <label
        >From id
        <input
          name="from"
          type="number"
          min="0"
          placeholder="live"
          disabled=${isPattern(subject)}
          value=${from}
          onInput=${(event: Event) => setFrom((event.currentTarget as HTMLInputElement).value)}
      /></label>
      <button type="submit">Follow</button>
      ${controls.map(
        ([id, label, enabled, action]) =>
          html`<button type="button" id=${id} disabled=${!enabled} onClick=${action}>
            ${label}
          </button>`,
      )}
    </form>
    <p>
      <span class="badge" id="tail-status" data-status=${status}>${status}</span>
      ${lastId.current > 0 ? html` last id <strong>${lastId.current}</strong>` : null}
    </p>
    <${ErrorBanner} error=${error} />
    <${TailEntries} entries=${entries} />
  </section>`;
}

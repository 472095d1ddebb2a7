/** What the live tail shows of each event: id, subject and a preview of the body; pure. */
import type { ServerSentEvent } from "./sse.ts";

/** Patterns (`*`, `>` tokens) are live only, as on the gateway. */
export { isPattern } from "../../../../contract/subjects.ts";

export interface TailEntry {
  readonly subject: string;
  readonly id: number;
  /** The body as text, or base64 when it is binary, cut at `previewChars`. */
  readonly preview: string;
  readonly binary: boolean;
  readonly bytes: number;
}

export const previewChars = 200;
/** Entries kept on screen, newest first; older ones drop off. */
export const maxEntries = 200;

/** A subject's events carry `id: N`; a pattern's `id: subject#N`. */
export function toEntry(event: ServerSentEvent, subject: string): TailEntry {
  const hash = event.id.lastIndexOf("#");
  const binary = event.event === "binary";
  return {
    subject: hash === -1 ? subject : event.id.slice(0, hash),
    id: Number(hash === -1 ? event.id : event.id.slice(hash + 1)),
    preview:
      event.data.length > previewChars ? `${event.data.slice(0, previewChars)}…` : event.data,
    binary,
    bytes: binary ? base64Bytes(event.data) : new TextEncoder().encode(event.data).byteLength,
  };
}

const base64Bytes = (text: string) =>
  Math.floor((text.length * 3) / 4) - (text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0);

export const addEntry = (entries: readonly TailEntry[], entry: TailEntry): TailEntry[] =>
  [entry, ...entries].slice(0, maxEntries);

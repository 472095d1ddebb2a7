/**
 * A live tail: GET /v1/subjects/{subject}/events read with fetch, whose Authorization header
 * carries the token (EventSource cannot set headers and would need it in the URL, where proxies
 * and logs keep it). Stopping aborts the request; resuming opens a new one from an id.
 */
import { refusal } from "./api.ts";
import { authorization } from "./session.ts";
import { parseEvents, type ServerSentEvent } from "./sse.ts";

export interface TailListener {
  /** The broker has registered the subscription (its `: subscribed` comment or first event). */
  readonly onOpen: () => void;
  readonly onEvent: (event: ServerSentEvent) => void;
  /** The stream ended: by the broker (an error event or the end of the body), or refused. */
  readonly onEnd: (err: unknown) => void;
}

/** Opens the stream; the returned function stops it, after which the listener hears nothing. */
export function openTail(
  subject: string,
  fromId: number,
  token: string,
  listener: TailListener,
): () => void {
  const abort = new AbortController();
  const query = fromId > 0 ? `?from=${fromId}` : "";
  const url = `/v1/subjects/${encodeURIComponent(subject)}/events${query}`;
  const read = async () => {
    const response = await fetch(url, { headers: authorization(token), signal: abort.signal });
    if (!response.ok || response.body === null) throw await refusal(response);
    listener.onOpen();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return;
      const { events, rest } = parseEvents(buffered + chunk.value);
      buffered = rest;
      for (const event of events) listener.onEvent(event);
    }
  };
  read().then(
    () => abort.signal.aborted || listener.onEnd(undefined),
    (err: unknown) => abort.signal.aborted || listener.onEnd(err),
  );
  return () => abort.abort();
}

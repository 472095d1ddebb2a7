/**
 * A stream of Server-Sent Events read with fetch, whose Authorization header carries the token
 * (EventSource cannot set headers and would need it in the URL, where proxies and logs keep it),
 * and which may be a POST. Stopping aborts the request.
 */
import { refusal } from "./api.ts";
import { parseEvents, type ServerSentEvent } from "./sse.ts";

export interface StreamListener {
  /** The gateway has answered 200: the stream is open. */
  readonly onOpen: () => void;
  readonly onEvent: (event: ServerSentEvent) => void;
  /** The stream ended: by the broker (the end of the body), or refused. */
  readonly onEnd: (err: unknown) => void;
}

/** Opens the stream; the returned function stops it, after which the listener hears nothing. */
export function openEventStream(
  url: string,
  init: RequestInit,
  listener: StreamListener,
): () => void {
  const abort = new AbortController();
  const read = async () => {
    const response = await fetch(url, { ...init, signal: abort.signal });
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

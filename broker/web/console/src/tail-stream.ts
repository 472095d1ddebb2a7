/**
 * A live tail: GET /v1/subjects/{subject}/events as an event stream (event-stream.ts). Stopping
 * aborts the request; resuming opens a new one from an id.
 */
import { openEventStream, type StreamListener } from "./event-stream.ts";
import { authorization } from "./session.ts";

/**
 * Opens the stream (`onOpen`: the broker has registered the subscription); the returned function
 * stops it, after which the listener hears nothing.
 */
export function openTail(
  subject: string,
  fromId: number,
  token: string,
  listener: StreamListener,
): () => void {
  const query = fromId > 0 ? `?from=${fromId}` : "";
  const url = `/v1/subjects/${encodeURIComponent(subject)}/events${query}`;
  return openEventStream(url, { headers: authorization(token) }, listener);
}

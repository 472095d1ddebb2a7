/**
 * Server-Sent Events parsed from a byte stream (the event-stream format: `field: value` lines, a
 * blank line ends an event, `:` starts a comment). The console reads the stream with fetch, not
 * EventSource, so that the token goes in the Authorization header instead of the URL.
 */
export interface ServerSentEvent {
  readonly event: string;
  readonly id: string;
  readonly data: string;
}

/** Splits text into complete events and the unfinished rest; pure. */
export function parseEvents(text: string): { events: ServerSentEvent[]; rest: string } {
  const normalized = text.replace(/\r\n?/g, "\n");
  const blocks = normalized.split("\n\n");
  const rest = blocks.pop() ?? "";
  const events: ServerSentEvent[] = [];
  for (const block of blocks) {
    let event = "message";
    let id = "";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "event") event = value;
      else if (name === "id") id = value;
      else if (name === "data") data.push(value);
    }
    if (data.length > 0 || id !== "") events.push({ event, id, data: data.join("\n") });
  }
  return { events, rest };
}

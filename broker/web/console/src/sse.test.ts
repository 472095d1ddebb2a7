import { describe, expect, it } from "vitest";
import { parseEvents } from "./sse.ts";

describe("parseEvents", () => {
  it("reads events with ids, multi-line data and event names, skipping comments", () => {
    const text =
      ": subscribed\n\nid: 1\ndata: one\ndata: two\n\nevent: binary\nid: 2\ndata: 3q2+7w==\n\n";
    expect(parseEvents(text)).toEqual({
      events: [
        { event: "message", id: "1", data: "one\ntwo" },
        { event: "binary", id: "2", data: "3q2+7w==" },
      ],
      rest: "",
    });
  });

  it("keeps an unfinished event for the next chunk", () => {
    const first = parseEvents("id: 1\ndata: on");
    expect(first).toEqual({ events: [], rest: "id: 1\ndata: on" });
    expect(parseEvents(`${first.rest}e\n\n`).events).toEqual([
      { event: "message", id: "1", data: "one" },
    ]);
  });

  it("reads the error event the broker ends a stream with", () => {
    const { events } = parseEvents(
      'event: error\ndata: {"code":"UNAVAILABLE","message":"draining"}\n\n',
    );
    expect(events).toEqual([
      { event: "error", id: "", data: '{"code":"UNAVAILABLE","message":"draining"}' },
    ]);
  });
});

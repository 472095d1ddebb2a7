import { describe, expect, it } from "vitest";
import type { BrokerClient } from "../api/gen/broker.ts";
import { routedPublisher } from "./routed-publisher.ts";
import type { OpenStream } from "./stream-publisher.ts";

/** A stream that records what was written on it and is answered by the test. */
function fakeStream(name: string, log: string[]) {
  const waiting: { body: string; resolve: (id: number) => void }[] = [];
  let ended = false;
  const stream: OpenStream = {
    get ended() {
      return ended;
    },
    publish: (_subject, body) => {
      log.push(`${name}:${String(body)}`);
      return new Promise((resolve) => waiting.push({ body: String(body), resolve }));
    },
    close: () => {
      ended = true;
      return Promise.resolve();
    },
  };
  const answerAll = (firstId: number) =>
    waiting.splice(0).forEach((entry, index) => entry.resolve(firstId + index));
  return { stream, answerAll, end: () => (ended = true) };
}

const channel = (name: string) => ({ name }) as unknown as BrokerClient;
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("routedPublisher", () => {
  it("sends a subject's messages on its owner's stream at once, in call order", async () => {
    const log: string[] = [];
    const a = fakeStream("a", log);
    const owner = channel("a");
    const publisher = routedPublisher({ channelFor: () => owner, open: () => a.stream });
    const ids = [publisher.publish("s", "1"), publisher.publish("s", "2")];
    expect(log).toEqual(["a:1", "a:2"]);
    a.answerAll(1);
    expect(await Promise.all(ids)).toEqual([1, 2]);
  });

  it("holds a subject's messages for a new owner until those sent to the old one are answered", async () => {
    const log: string[] = [];
    const streams = { a: fakeStream("a", log), b: fakeStream("b", log) };
    const channels = { a: channel("a"), b: channel("b") };
    let owner: "a" | "b" = "a";
    const publisher = routedPublisher({
      channelFor: () => channels[owner],
      open: (opened) => (opened === channels.a ? streams.a.stream : streams.b.stream),
    });
    const first = publisher.publish("s", "1");
    owner = "b";
    const second = publisher.publish("s", "2");
    const third = publisher.publish("s", "3");
    const other = publisher.publish("t", "x");
    await flush();
    // Another subject is not held back; s waits for its message on a.
    expect(log).toEqual(["a:1", "b:x"]);
    streams.a.answerAll(1);
    await flush();
    expect(log).toEqual(["a:1", "b:x", "b:2", "b:3"]);
    streams.b.answerAll(10);
    expect(await Promise.all([first, other, second, third])).toEqual([1, 10, 11, 12]);
  });

  it("opens a new stream to a member whose stream ended", () => {
    const log: string[] = [];
    const opened = [fakeStream("first", log), fakeStream("second", log)];
    let next = 0;
    const owner = channel("a");
    const publisher = routedPublisher({
      channelFor: () => owner,
      open: () => (opened[next++] ?? opened[1])?.stream as OpenStream,
    });
    void publisher.publish("s", "1");
    opened[0]?.end();
    void publisher.publish("t", "2");
    expect(log).toEqual(["first:1", "second:2"]);
  });
});

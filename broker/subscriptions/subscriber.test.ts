import { describe, expect, it } from "vitest";
import { MessageResponse } from "../api/gen/broker.ts";
import { SubscriberOverflowError } from "../errors.ts";
import type { MessageRecord } from "../store/message-store.ts";
import { type MessageSink, type OutgoingMessage, Subscriber } from "./subscriber.ts";
import { SubscriptionHub } from "./subscription-hub.ts";

const record = (id: number, subject = "s"): MessageRecord => ({
  subject,
  id,
  body: new Uint8Array([id]),
  expiresAtMs: null,
});
const message = (id: number): OutgoingMessage => ({ id, frame: Buffer.from([id]) });

/** A transport that accepts `capacity` writes before asking the writer to wait for drain. */
class FakeSink implements MessageSink {
  readonly written: number[] = [];
  failure: Error | undefined;
  capacity: number;
  #drainListeners: (() => void)[] = [];

  constructor(capacity = Infinity) {
    this.capacity = capacity;
  }

  write(outgoing: OutgoingMessage): boolean {
    this.written.push(outgoing.id);
    return this.written.length < this.capacity;
  }

  onceDrain(listener: () => void): void {
    this.#drainListeners.push(listener);
  }

  fail(err: Error): void {
    this.failure = err;
  }

  drain(extraCapacity: number): void {
    this.capacity += extraCapacity;
    for (const listener of this.#drainListeners.splice(0)) listener();
  }
}

function subscriber(sink: MessageSink, bufferSize = 100, startId = 0) {
  const events = { overflows: 0, closed: 0 };
  const created = new Subscriber({
    subject: "s",
    sink,
    startId,
    bufferSize,
    onOverflow: () => (events.overflows += 1),
    onClose: () => (events.closed += 1),
  });
  return { subscriber: created, events };
}

/** A stored log the replay reads, which can grow while the replay runs. */
function storedLog(ids: number[]) {
  const log = ids.map((id) => message(id));
  const reads: number[] = [];
  const readPage = (fromId: number, limit: number) => {
    reads.push(fromId);
    return Promise.resolve(log.filter((r) => r.id >= fromId).slice(0, limit));
  };
  return { log, reads, readPage };
}

describe("Subscriber", () => {
  it("writes live messages in order and drops duplicates", () => {
    const sink = new FakeSink();
    const { subscriber: sub } = subscriber(sink);
    for (const id of [1, 2, 2, 3]) sub.offer(message(id));
    expect(sink.written).toEqual([1, 2, 3]);
  });

  it("waits for drain when the transport is full, then continues in order", () => {
    const sink = new FakeSink(2);
    const { subscriber: sub } = subscriber(sink);
    for (let id = 1; id <= 5; id += 1) sub.offer(message(id));
    expect(sink.written).toEqual([1, 2]);
    sink.drain(10);
    expect(sink.written).toEqual([1, 2, 3, 4, 5]);
  });

  it("ends a subscriber that falls bufferSize behind with RESOURCE_EXHAUSTED, naming the resume id", () => {
    const sink = new FakeSink(1);
    const { subscriber: sub, events } = subscriber(sink, 3);
    for (let id = 1; id <= 10; id += 1) sub.offer(message(id));
    expect(sink.written).toEqual([1]);
    expect(sink.failure).toBeInstanceOf(SubscriberOverflowError);
    expect(sink.failure?.message).toMatch(/start_id 2/);
    expect(events).toEqual({ overflows: 1, closed: 1 });
    expect(sub.closed).toBe(true);
  });

  it("replays from the start id, then continues live with no gap and no duplicate", async () => {
    const sink = new FakeSink();
    const { subscriber: sub } = subscriber(sink, 100, 3);
    const stored = storedLog([1, 2, 3, 4, 5, 6, 7]);
    sub.offer(message(6));
    const replay = sub.catchUp(stored.readPage, 2);
    sub.offer(message(7));
    stored.log.push(message(8));
    sub.offer(message(8));
    await replay;
    sub.offer(message(9));
    expect(sink.written).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it("keeps replaying from the store when live messages overflow the aside buffer", async () => {
    const sink = new FakeSink();
    const { subscriber: sub, events } = subscriber(sink, 2, 1);
    const stored = storedLog([1, 2]);
    const readPage = async (fromId: number, limit: number) => {
      const page = await stored.readPage(fromId, limit);
      if (stored.log.length < 12) {
        const first = stored.log.length + 1;
        for (let id = first; id < first + 5; id += 1) {
          stored.log.push(message(id));
          sub.offer(message(id));
        }
      }
      return page;
    };
    await sub.catchUp(readPage, 100);
    expect(sink.written).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(events.overflows).toBe(0);
  });

  it("skips live messages below a start id that lies in the future", async () => {
    const sink = new FakeSink();
    const { subscriber: sub } = subscriber(sink, 100, 5);
    const stored = storedLog([1, 2]);
    await sub.catchUp(stored.readPage, 10);
    for (let id = 3; id <= 6; id += 1) sub.offer(message(id));
    expect(sink.written).toEqual([5, 6]);
  });

  it("stops a replay that is waiting for drain when the subscriber closes", async () => {
    const sink = new FakeSink(1);
    const { subscriber: sub } = subscriber(sink, 100, 1);
    const stored = storedLog([1, 2, 3]);
    const replay = sub.catchUp(stored.readPage, 10);
    await new Promise((resolve) => setImmediate(resolve));
    sub.close();
    await replay;
    expect(sink.written).toEqual([1]);
    expect(sink.failure).toBeUndefined();
  });
});

describe("SubscriptionHub", () => {
  it("delivers each record only to subscribers of its subject and tracks the count", () => {
    const counts: number[] = [];
    const hub = new SubscriptionHub({
      bufferSize: 10,
      onOverflow: () => undefined,
      onCountChange: (n) => counts.push(n),
    });
    const a1 = new FakeSink();
    const a2 = new FakeSink();
    const b = new FakeSink();
    hub.subscribe("a", a1);
    const second = hub.subscribe("a", a2);
    hub.subscribe("b", b);
    hub.deliver([record(1, "a"), record(1, "b"), record(2, "a")]);
    second.close();
    hub.deliver([record(3, "a")]);
    expect(a1.written).toEqual([1, 2, 3]);
    expect(a2.written).toEqual([1, 2]);
    expect(b.written).toEqual([1]);
    expect(hub.count).toBe(2);
    hub.closeAll(new Error("bye"));
    expect(hub.count).toBe(0);
    expect(a1.failure?.message).toBe("bye");
    expect(counts).toEqual([1, 2, 3, 2, 1, 0]);
  });
});

describe("SubscriptionHub encoding", () => {
  it("serializes each message once and hands every subscriber the same MessageResponse bytes", () => {
    const hub = new SubscriptionHub({
      bufferSize: 10,
      onOverflow: () => undefined,
      onCountChange: () => undefined,
    });
    const frames: Buffer[] = [];
    const sink: MessageSink = {
      write: (outgoing) => frames.push(outgoing.frame) > 0,
      onceDrain: () => undefined,
      fail: () => undefined,
    };
    hub.subscribe("a", sink);
    hub.subscribe("a", sink);
    hub.deliver([{ subject: "a", id: 7, body: new TextEncoder().encode("hi"), expiresAtMs: null }]);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toBe(frames[1]);
    const decoded = MessageResponse.decode(frames[0] ?? Buffer.alloc(0));
    expect({ id: decoded.id, body: decoded.body.toString("utf8") }).toEqual({ id: 7, body: "hi" });
  });
});

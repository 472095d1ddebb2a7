import { describe, expect, it } from "vitest";
import { SubjectSequencer } from "../sequencer/subject-sequencer.ts";
import { MemoryStore } from "../store/memory/memory-store.ts";
import type { MessageRecord } from "../store/message-store.ts";
import { type PublishInput, Publisher } from "./publisher.ts";

const windowMs = 60_000;
const body = Uint8Array.of(1);
const message = (subject: string, idempotencyKey?: string): PublishInput => ({
  subject,
  body,
  expirationSeconds: 0,
  idempotencyKey,
});

/** A publisher on a memory store whose writes the test may hold or fail; records what fans out. */
async function setup() {
  const store = new MemoryStore({ maxMessagesPerSubject: 1000 });
  await store.open();
  const fannedOut: MessageRecord[] = [];
  let held: PromiseWithResolvers<void> | undefined;
  let failNext = false;
  let lookupsHeld: PromiseWithResolvers<void> | undefined;
  const publisher = new Publisher({
    store: {
      appendBatch: async (records) => {
        if (held !== undefined) await held.promise;
        if (failNext) {
          failNext = false;
          throw new Error("write failed");
        }
        await store.appendBatch(records);
      },
      idempotentId: async (subject, key, nowMs) => {
        if (lookupsHeld !== undefined) await lookupsHeld.promise;
        return store.idempotentId(subject, key, nowMs);
      },
    },
    sequencer: new SubjectSequencer((subject) => store.lastId(subject)),
    batch: { maxSize: 100, maxDelayMs: 0 },
    dedupWindowMs: windowMs,
    onDurable: (records) => fannedOut.push(...records),
  });
  return {
    store,
    publisher,
    fannedOut,
    hold: () => (held = Promise.withResolvers<void>()),
    release: () => {
      held?.resolve();
      held = undefined;
    },
    failNextWrite: () => (failNext = true),
    holdLookups: () => {
      const held = Promise.withResolvers<void>();
      lookupsHeld = held;
      return () => {
        lookupsHeld = undefined;
        held.resolve();
      };
    },
  };
}

describe("Publisher deduplication", () => {
  it("answers a stored key with the original id, storing and fanning out nothing", async () => {
    const { publisher, fannedOut, store } = await setup();
    const [first] = await publisher.publish([message("orders", "k1")]);
    const [again] = await publisher.publish([message("orders", "k1")]);
    expect(again).toBe(first);
    expect(fannedOut).toHaveLength(1);
    expect(await store.lastId("orders")).toBe(1);
  });

  it("keeps keys apart per subject, and never dedupes an empty or absent key", async () => {
    const { publisher, fannedOut } = await setup();
    expect(
      await publisher.publish([
        message("a", "k"),
        message("b", "k"),
        message("a", ""),
        message("a", ""),
        message("a"),
      ]),
    ).toEqual([1, 1, 2, 3, 4]);
    expect(fannedOut).toHaveLength(5);
  });

  it("gives a key repeated in one batch the first one's id", async () => {
    const { publisher, fannedOut } = await setup();
    expect(
      await publisher.publish([message("a", "k"), message("a", "x"), message("a", "k")]),
    ).toEqual([1, 2, 1]);
    expect(fannedOut.map((record) => record.id)).toEqual([1, 2]);
  });

  it("makes a duplicate of a publish still in flight wait for its id", async () => {
    const { publisher, fannedOut, hold, release } = await setup();
    hold();
    const first = publisher.publish([message("a", "k")]);
    const second = publisher.publish([message("a", "k")]);
    release();
    expect(await Promise.all([first, second])).toEqual([[1], [1]]);
    expect(fannedOut).toHaveLength(1);
  });

  it("fails the duplicates of a failed write, and a later retry stores the message", async () => {
    const { publisher, fannedOut, hold, release, failNextWrite } = await setup();
    hold();
    failNextWrite();
    const first = publisher.publish([message("a", "k")]);
    const second = publisher.publish([message("a", "k")]);
    release();
    await expect(first).rejects.toThrow("write failed");
    await expect(second).rejects.toThrow("write failed");
    const [retried] = await publisher.publish([message("a", "k")]);
    expect(await publisher.publish([message("a", "k")])).toEqual([retried]);
    expect(fannedOut).toHaveLength(1);
  });

  it("assigns ids in call order per subject while a keyed call looks its key up", async () => {
    const { publisher, fannedOut, holdLookups } = await setup();
    const release = holdLookups();
    const keyed = publisher.publish([message("a", "k")]);
    const plain = publisher.publish([message("a")]);
    const other = publisher.publish([message("b")]);
    expect(await other).toEqual([1]);
    release();
    expect(await Promise.all([keyed, plain])).toEqual([[1], [2]]);
    expect(fannedOut.map((record) => `${record.subject}#${record.id}`)).toEqual([
      "b#1",
      "a#1",
      "a#2",
    ]);
  });

  it("stores the key with a window that closes, after which the key stores again", async () => {
    const { publisher, store } = await setup();
    const before = Date.now();
    await publisher.publish([message("a", "k")]);
    expect(await store.idempotentId("a", "k", before + windowMs - 1_000)).toBe(1);
    expect(await store.idempotentId("a", "k", Date.now() + windowMs)).toBeUndefined();
  });
});

/**
 * PublishStream back-pressure in bytes: with every publish held (a frozen store), the stream stops
 * reading once its un-acked bodies reach the bound, and reads again once the store answers.
 */
import { EventEmitter } from "node:events";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import type { PublishStreamRequest, PublishStreamResponse } from "../api/gen/broker.ts";
import { type PublishStreamCall, PublishStreams } from "./publish-stream.ts";

/** The part of a server duplex call PublishStreams uses, recording pauses and writes. */
class FakeCall extends EventEmitter {
  paused = false;
  readonly written: PublishStreamResponse[] = [];
  pause() {
    this.paused = true;
    return this;
  }
  resume() {
    this.paused = false;
    return this;
  }
  write(response: PublishStreamResponse) {
    this.written.push(response);
    return true;
  }
  end() {}
}

const kib = 1024;

function frame(sequence: number, bytes: number): PublishStreamRequest {
  return {
    sequence,
    message: {
      subject: "s",
      body: Buffer.alloc(bytes),
      expirationSeconds: 0,
      idempotencyKey: "",
    },
  };
}

describe("PublishStreams byte bound", () => {
  it("stops reading once un-acked bytes reach the bound and resumes when the store answers", async () => {
    let release = () => {};
    const frozen = new Promise<void>((resolve) => (release = resolve));
    let nextId = 0;
    const streams = new PublishStreams({
      openRoute: () => async () => {
        await frozen;
        nextId += 1;
        return nextId;
      },
      maxMessageBytes: 64 * kib,
      retention: { defaultExpirationSeconds: undefined, maxExpirationSeconds: undefined },
      maxInflight: 1024,
      maxInflightBytes: 4 * 64 * kib,
      failure: () => ({ code: status.INTERNAL, details: "unexpected" }),
    });
    const call = new FakeCall();
    streams.handle(call as unknown as PublishStreamCall);

    // Well under the message bound: the bytes alone decide.
    let read = 0;
    while (!call.paused && read < 64) {
      read += 1;
      call.emit("data", frame(read, 64 * kib));
    }
    expect(call.paused).toBe(true);
    expect(read).toBe(4);

    release();
    await frozen;
    await new Promise((resolve) => setImmediate(resolve));
    expect(call.paused).toBe(false);
    expect(call.written.map((r) => r.sequence)).toEqual([1, 2, 3, 4]);
  });
});

/**
 * PublishStream back-pressure in bytes: with every publish held (a frozen store), the stream stops
 * reading once its un-acked bodies reach the bound, and reads again once the store answers.
 */
import { EventEmitter } from "node:events";
import { Metadata, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import type { PublishStreamRequest, PublishStreamResponse } from "../api/gen/broker.ts";
import { toGrpcStatus } from "../errors.ts";
import { PendingBytes } from "./pending-bytes.ts";
import { type PublishStreamCall, PublishStreams } from "./publish-stream.ts";

/** The part of a server duplex call PublishStreams uses, recording pauses and writes. */
class FakeCall extends EventEmitter {
  readonly metadata = new Metadata();
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
  getPeer() {
    return "127.0.0.1:40000";
  }
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

/** PublishStreams whose every publish waits for `release`, as on a frozen store; ids count from 1. */
function frozenStreams(options: { maxInflightBytes: number; pending: PendingBytes }) {
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
    ...options,
    failure: (err) => toGrpcStatus(err),
  });
  const call = new FakeCall();
  streams.handle(call as unknown as PublishStreamCall);
  const thaw = async () => {
    release();
    await frozen;
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { call, thaw };
}

describe("PublishStreams byte bound", () => {
  it("stops reading once un-acked bytes reach the bound and resumes when the store answers", async () => {
    const { call, thaw } = frozenStreams({
      maxInflightBytes: 4 * 64 * kib,
      pending: new PendingBytes({ maxBytes: 1024 * kib, maxConnectionBytes: 1024 * kib }),
    });

    // Well under the message bound: the bytes alone decide.
    let read = 0;
    while (!call.paused && read < 64) {
      read += 1;
      call.emit("data", frame(read, 64 * kib));
    }
    expect(call.paused).toBe(true);
    expect(read).toBe(4);

    await thaw();
    expect(call.paused).toBe(false);
    expect(call.written.map((r) => r.sequence)).toEqual([1, 2, 3, 4]);
  });
});

describe("PublishStreams pending-bytes caps", () => {
  it("refuses the frame past its connection's cap alone, and takes frames again once bytes are stored", async () => {
    const pending = new PendingBytes({ maxBytes: 1024 * kib, maxConnectionBytes: 128 * kib });
    const { call, thaw } = frozenStreams({ maxInflightBytes: 1024 * kib, pending });
    for (const sequence of [1, 2, 3]) call.emit("data", frame(sequence, 64 * kib));
    expect(pending.total).toBe(128 * kib);

    await thaw();
    expect(pending.total).toBe(0);
    call.emit("data", frame(4, 64 * kib));
    await new Promise((resolve) => setImmediate(resolve));
    expect(call.written.map(({ sequence, id, error }) => [sequence, id, error?.code])).toEqual([
      [1, 1, undefined],
      [2, 2, undefined],
      [3, 0, status.RESOURCE_EXHAUSTED],
      [4, 3, undefined],
    ]);
    expect(call.written[2]?.error?.message).toMatch(
      /^this connection already holds 131072 bytes .*HERALD_MAX_CONNECTION_PENDING_BYTES is 131072/,
    );
  });
});

/**
 * Decoding of PublishStream frames. grpc-js ends a call whose frame does not
 * decode, which would leave the messages read before it stored but never
 * acknowledged; here such a frame becomes a message of its own, answered with
 * its error in its place, and the stream goes on (broker/README.md#publishstream).
 */
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { PublishStreamRequest } from "../api/gen/broker.ts";

/** A decoded frame; `undecodable` says why a frame that is not a PublishStreamRequest was not. */
export type PublishStreamFrame = PublishStreamRequest & { readonly undecodable?: string };

/** The wire tag of field 1 (`sequence`, a varint). */
const sequenceTag = 1 << 3;

/** The frame's sequence when it comes first and reads, so the client can match the error; else 0. */
function leadingSequence(bytes: Uint8Array): number {
  try {
    const reader = new BinaryReader(bytes);
    return reader.uint32() === sequenceTag ? Number(reader.uint64()) : 0;
  } catch {
    return 0;
  }
}

export function decodePublishStreamFrame(bytes: Buffer): PublishStreamFrame {
  try {
    return PublishStreamRequest.decode(bytes);
  } catch (err) {
    return {
      sequence: leadingSequence(bytes),
      message: undefined,
      undecodable: err instanceof Error ? err.message : String(err),
    };
  }
}

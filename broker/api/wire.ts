/**
 * Encoding helpers shared by the handlers and the subscription path.
 */
import { MessageResponse } from "./gen/broker.ts";

/** A Buffer view of the bytes, without copying (stores may hand back plain Uint8Arrays). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The serialized MessageResponse for a message, so fan-out encodes it once for all subscribers. */
export function encodeMessageResponse(subject: string, id: number, body: Uint8Array): Buffer {
  return asBuffer(MessageResponse.encode({ subject, id, body: asBuffer(body) }).finish());
}

/**
 * Reads a request body up to the message limit (HERALD_MAX_MESSAGE_BYTES). A larger one is
 * refused as soon as its length is known (Content-Length, or the bytes read so far), with the
 * error a gRPC publish of that body gets, without holding more than the limit.
 */
import type { IncomingMessage } from "node:http";
import { MessageTooLargeError } from "../errors.ts";

export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new MessageTooLargeError(declared, limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off("data", onData);
        reject(new MessageTooLargeError(size, limit));
        return;
      }
      chunks.push(chunk);
    };
    request.on("data", onData);
    request.once("end", () => resolve(Buffer.concat(chunks, size)));
    request.once("error", reject);
  });
}

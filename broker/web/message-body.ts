/**
 * Message bodies in text frames (SSE data, WebSocket JSON): as UTF-8 when they are valid UTF-8,
 * else as base64, so any body arrives byte for byte.
 */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export type BodyEncoding = "utf8" | "base64";

export interface EncodedBody {
  readonly body: string;
  readonly encoding: BodyEncoding;
}

/**
 * `textSafe` refuses text the carrier would alter: an SSE line break inside `data:` may be CR, LF
 * or CRLF, so a body with CR goes as base64 there.
 */
export function encodeBody(body: Uint8Array, textSafe: (text: string) => boolean): EncodedBody {
  try {
    const text = utf8.decode(body);
    if (textSafe(text)) return { body: text, encoding: "utf8" };
  } catch {
    // not UTF-8: base64 below
  }
  return { body: Buffer.from(body).toString("base64"), encoding: "base64" };
}

export function decodeBody(body: string, encoding: BodyEncoding): Buffer {
  return Buffer.from(body, encoding === "utf8" ? "utf8" : "base64");
}

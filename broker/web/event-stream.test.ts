import { describe, expect, it } from "vitest";
import { formatEvent } from "./event-stream.ts";

const message = (body: Buffer | string, id = 7) => ({
  subject: "orders.eu",
  id,
  body: Buffer.from(body),
});

describe("formatEvent", () => {
  it("sends a UTF-8 body as data lines, one per line, with the message id", () => {
    expect(formatEvent(message("héllo\nworld"), false)).toBe("id: 7\ndata: héllo\ndata: world\n\n");
    expect(formatEvent(message(""), false)).toBe("id: 7\ndata: \n\n");
  });

  it("sends bytes that are not UTF-8, or text with CR, as base64 with event: binary", () => {
    const bytes = Buffer.from([0xff, 0x00, 0x80]);
    expect(formatEvent(message(bytes), false)).toBe(
      `event: binary\nid: 7\ndata: ${bytes.toString("base64")}\n\n`,
    );
    expect(formatEvent(message("a\r\nb"), false)).toBe(
      `event: binary\nid: 7\ndata: ${Buffer.from("a\r\nb").toString("base64")}\n\n`,
    );
  });

  it("names the subject in the id of a pattern stream's events", () => {
    expect(formatEvent(message("x", 3), true)).toBe("id: orders.eu#3\ndata: x\n\n");
  });
});

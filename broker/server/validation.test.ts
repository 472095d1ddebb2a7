import { describe, expect, it } from "vitest";
import { InvalidArgumentError, MessageTooLargeError } from "../errors.ts";
import {
  parseFetch,
  parsePublish,
  parseSubscribe,
  resolveExpiration,
  type Retention,
  subjectProblem,
} from "./validation.ts";

const body = new Uint8Array(10);

describe("request validation", () => {
  it("accepts well-formed requests", () => {
    expect(parsePublish({ subject: "orders", body, expirationSeconds: 0 }, 10)).toEqual({
      subject: "orders",
      body,
      expirationSeconds: 0,
    });
    expect(
      parsePublish({ subject: "é".repeat(127), body, expirationSeconds: 5 }, 10).subject,
    ).toHaveLength(127);
    const key = "k".repeat(255);
    expect(
      parsePublish({ subject: "s", body, expirationSeconds: 0, idempotencyKey: key }, 10),
    ).toMatchObject({ idempotencyKey: key });
    expect(parseFetch({ subject: "s", id: 1 })).toEqual({ subject: "s", id: 1 });
    expect(parseSubscribe({ subject: "s", startId: 0 })).toEqual({ subject: "s", startId: 0 });
  });

  it("uses a valid publish as decoded, and leaves every other to the schema", () => {
    const decoded = { subject: "orders", body, expirationSeconds: 3, idempotencyKey: "" };
    expect(parsePublish(decoded, 10)).toBe(decoded);
    expect(() => parsePublish({ subject: "s", body, expirationSeconds: 1.5 }, 10)).toThrow(
      InvalidArgumentError,
    );
    expect(() => parsePublish({ subject: "s", body: "text", expirationSeconds: 0 }, 10)).toThrow(
      InvalidArgumentError,
    );
  });

  it.each([
    [{ subject: "", body, expirationSeconds: 0 }, /must not be empty/],
    [{ subject: "x".repeat(256), body, expirationSeconds: 0 }, /256 bytes; at most 255/],
    [{ subject: "é".repeat(128), body, expirationSeconds: 0 }, /256 bytes/],
    [{ subject: "s", body, expirationSeconds: -1 }, /must not be negative/],
    [
      { subject: "s", body, expirationSeconds: 0, idempotencyKey: "k".repeat(256) },
      /idempotency_key is longer than 255/,
    ],
  ])("rejects publish %# with INVALID_ARGUMENT", (request, message) => {
    expect(() => parsePublish(request, 10)).toThrow(InvalidArgumentError);
    expect(() => parsePublish(request, 10)).toThrow(message);
  });

  it.each([
    ["a NUL byte", "orders\u0000eu", "subject has the control character U+0000 at byte 6"],
    ["a tab", "a\tb", "subject has the control character U+0009 at byte 1"],
    ["an escape", "\u001b[31mred", "subject has the control character U+001B at byte 0"],
    ["DEL", "a\u007f", "subject has the control character U+007F at byte 1"],
    ["a C1 control", "é\u0085", "subject has the control character U+0085 at byte 2"],
    // grpc-js decodes bytes that are not UTF-8 to U+FFFD, so 0xFF and 0xFE would be one subject.
    [
      "invalid UTF-8",
      Buffer.from([0x61, 0xff]).toString("utf8"),
      "subject is not valid UTF-8 (U+FFFD at byte 1)",
    ],
    ["two dots in a row", "a..b", "subject has an empty token at byte 2"],
    ["a leading dot", ".orders", "subject has an empty token at byte 0"],
    ["a trailing dot", "日本.", "subject has an empty token at byte 7"],
    ["a lone dot", ".", "subject has an empty token at byte 0"],
  ])("refuses a subject with %s on every request", (_, subject, message) => {
    const publish = { subject, body, expirationSeconds: 0 };
    expect(() => parsePublish(publish, 10)).toThrow(InvalidArgumentError);
    expect(() => parsePublish(publish, 10)).toThrow(message);
    expect(() => parseFetch({ subject, id: 1 })).toThrow(message);
    expect(() => parseSubscribe({ subject, startId: 0 })).toThrow(message);
    expect(subjectProblem(subject)).toBe(message);
  });

  it("accepts any other UTF-8 text, dots and wildcards included", () => {
    for (const subject of [
      "orders.eu.paid",
      "日本.注文",
      "emoji.🚀",
      "a b",
      "orders.*",
      "orders.>",
    ]) {
      expect(subjectProblem(subject)).toBeUndefined();
    }
  });

  it("rejects a body over the limit as too large", () => {
    expect(() => parsePublish({ subject: "s", body, expirationSeconds: 0 }, 9)).toThrow(
      MessageTooLargeError,
    );
  });

  it("rejects id 0, negative ids and negative start ids", () => {
    expect(() => parseFetch({ subject: "s", id: 0 })).toThrow(/id must be a positive integer/);
    expect(() => parseFetch({ subject: "s", id: -3 })).toThrow(InvalidArgumentError);
    expect(() => parseSubscribe({ subject: "s", startId: -1 })).toThrow(
      /start_id must not be negative/,
    );
    expect(() => parseSubscribe({ subject: "", startId: 0 })).toThrow(/must not be empty/);
  });
});

describe("retention", () => {
  const retention = (
    defaultExpirationSeconds: number | undefined,
    maxExpirationSeconds: number | undefined,
  ): Retention => ({ defaultExpirationSeconds, maxExpirationSeconds });

  it.each([
    ["the default", retention(30, 60), 30],
    ["a default of 0, never", retention(0, 60), 0],
    ["the maximum when there is no default", retention(undefined, 60), 60],
    ["never when neither is set", retention(undefined, undefined), 0],
  ])("gives expirationSeconds 0 %s", (_, settings, expected) => {
    expect(resolveExpiration(0, settings)).toBe(expected);
  });

  it("keeps an expiry up to the maximum, and any expiry when there is none", () => {
    expect(resolveExpiration(60, retention(30, 60))).toBe(60);
    expect(resolveExpiration(1, retention(30, 60))).toBe(1);
    expect(resolveExpiration(86_400, retention(30, undefined))).toBe(86_400);
  });

  it("refuses an expiry above the maximum with INVALID_ARGUMENT naming the maximum", () => {
    expect(() => resolveExpiration(120, retention(undefined, 60))).toThrow(InvalidArgumentError);
    expect(() => resolveExpiration(120, retention(undefined, 60))).toThrow(
      "expirationSeconds 120 exceeds the maximum of 60 (spec.retention.maxExpirationSeconds)",
    );
  });

  it("applies to a client's publish and not to one already resolved by another member", () => {
    const request = { subject: "s", body, expirationSeconds: 0 };
    expect(parsePublish(request, 10, retention(30, 60)).expirationSeconds).toBe(30);
    expect(parsePublish(request, 10).expirationSeconds).toBe(0);
    expect(() =>
      parsePublish({ ...request, expirationSeconds: 61 }, 10, retention(30, 60)),
    ).toThrow(/exceeds the maximum of 60/);
    expect(() =>
      parsePublish({ ...request, expirationSeconds: -1 }, 10, retention(30, 60)),
    ).toThrow(/must not be negative/);
  });
});

import { describe, expect, it } from "vitest";
import { InvalidArgumentError, MessageTooLargeError } from "../errors.ts";
import { parseFetch, parsePublish, parseSubscribe } from "./validation.ts";

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
    expect(parseFetch({ subject: "s", id: 1 })).toEqual({ subject: "s", id: 1 });
    expect(parseSubscribe({ subject: "s", startId: 0 })).toEqual({ subject: "s", startId: 0 });
  });

  it.each([
    [{ subject: "", body, expirationSeconds: 0 }, /must not be empty/],
    [{ subject: "x".repeat(256), body, expirationSeconds: 0 }, /256 bytes; at most 255/],
    [{ subject: "é".repeat(128), body, expirationSeconds: 0 }, /256 bytes/],
    [{ subject: "s", body, expirationSeconds: -1 }, /must not be negative/],
  ])("rejects publish %# with INVALID_ARGUMENT", (request, message) => {
    expect(() => parsePublish(request, 10)).toThrow(InvalidArgumentError);
    expect(() => parsePublish(request, 10)).toThrow(message);
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

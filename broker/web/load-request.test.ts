import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import { loadLimits, parseLoadRequest } from "./load-request.ts";

const limits = loadLimits(1024 * 1024);
const parse = (body: unknown) => parseLoadRequest(Buffer.from(JSON.stringify(body)), limits);
const valid = { subject: "load.x", ratePerSecond: 10, bodyBytes: 64, durationSeconds: 2 };

describe("parseLoadRequest", () => {
  it("takes a request within the maxima", () => {
    expect(parse(valid)).toEqual(valid);
  });

  it("caps the body at the broker's message limit when that is below 4 KiB", () => {
    expect(loadLimits(1000).maxBodyBytes).toBe(1000);
    expect(limits.maxBodyBytes).toBe(4096);
  });

  it.each([
    [{ ...valid, ratePerSecond: 0 }, "ratePerSecond: must be at least 1 messages/s"],
    [{ ...valid, bodyBytes: 4097 }, "bodyBytes: must be at most 4096 bytes, the gateway's maximum"],
    [{ ...valid, bodyBytes: 4 }, "bodyBytes: must be at least 8 bytes"],
    [{ ...valid, durationSeconds: 1.5 }, "durationSeconds: must be an integer"],
    [{ ...valid, subject: "" }, "subject: is required"],
    [{ ...valid, extra: 1 }, 'body: Unrecognized key: "extra"'],
  ])("refuses %j, naming the field", (body, message) => {
    expect(() => parse(body)).toThrow(new InvalidArgumentError(message));
  });

  it("refuses a body that is not JSON", () => {
    expect(() => parseLoadRequest(Buffer.from("rate=10"), limits)).toThrow(InvalidArgumentError);
  });
});

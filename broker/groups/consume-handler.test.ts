import { describe, expect, it } from "vitest";
import { AckKind } from "../api/gen/broker.ts";
import { InvalidArgumentError } from "../errors.ts";
import { collapseGroupChanges, type GroupChange } from "../store/group-state.ts";
import { parseAck, parseConsumeStart } from "./consume-handler.ts";
import { groupDefaults } from "./consumer-groups.ts";

const start = {
  group: "workers",
  subject: "orders.*",
  maxInFlight: 0,
  ackWaitMs: 0,
  maxDeliveries: 0,
  startId: 0,
};

describe("parseConsumeStart", () => {
  it("takes the broker's defaults for zero settings", () => {
    expect(parseConsumeStart(start)).toEqual({
      group: "workers",
      pattern: "orders.*",
      maxInFlight: groupDefaults.maxInFlight,
      ackWaitMs: groupDefaults.ackWaitMs,
      maxDeliveries: groupDefaults.maxDeliveries,
      startId: 0,
    });
  });

  it.each([
    [{ group: "" }, /group must be/],
    [{ group: "a.b" }, /group must be/],
    [{ group: "x".repeat(65) }, /group must be/],
    [{ subject: "" }, /must not be empty/],
    [{ subject: "orders.>.x" }, /may only be the last token/],
    [{ subject: "orders..*" }, /empty token/],
    [{ maxInFlight: 70_000 }, /max_in_flight must be at most/],
    [{ ackWaitMs: 100_000_000 }, /ack_wait_ms must be at most/],
    [{ maxDeliveries: 1001 }, /max_deliveries must be at most/],
    [{ startId: -1 }, /start_id must not be negative/],
  ])("refuses %o", (change, message) => {
    expect(() => parseConsumeStart({ ...start, ...change })).toThrow(InvalidArgumentError);
    expect(() => parseConsumeStart({ ...start, ...change })).toThrow(message);
  });

  it.each([
    ["a..b", "subject has an empty token at byte 2"],
    ["orders.", "subject has an empty token at byte 7"],
    ["orders\u0000eu", "subject has the control character U+0000 at byte 6"],
    ["s".repeat(256), "subject is 256 bytes; at most 255 allowed"],
  ])("refuses the subject %j as Publish does", (subject, message) => {
    expect(() => parseConsumeStart({ ...start, subject })).toThrow(message);
  });
});

describe("parseAck", () => {
  it("names the kind", () => {
    expect(parseAck({ subject: "s", id: 3, attempt: 2, kind: AckKind.TERM })).toEqual({
      subject: "s",
      id: 3,
      attempt: 2,
      kind: "term",
    });
  });

  it.each([
    [{ id: 0 }, /id must be a positive/],
    [{ attempt: 0 }, /attempt must be at least 1/],
    [{ kind: AckKind.UNRECOGNIZED }, /kind must be ACK, NAK or TERM/],
    [{ subject: "" }, /subject must not be empty/],
  ])("refuses %o", (change, message) => {
    expect(() =>
      parseAck({ subject: "s", id: 1, attempt: 1, kind: AckKind.ACK, ...change }),
    ).toThrow(message);
  });
});

describe("collapseGroupChanges", () => {
  it("keeps the last change per pending message and the highest cursor per subject", () => {
    const changes: GroupChange[] = [
      { kind: "cursor", group: "g", subject: "s", cursor: 5 },
      { kind: "deliver", group: "g", subject: "s", id: 4, attempt: 1 },
      { kind: "cursor", group: "g", subject: "s", cursor: 3 },
      { kind: "settle", group: "g", subject: "s", id: 4 },
      { kind: "deliver", group: "g", subject: "t", id: 4, attempt: 2 },
      { kind: "deliver", group: "g", subject: "t", id: 4, attempt: 3 },
    ];
    expect(collapseGroupChanges(changes)).toEqual([
      { kind: "cursor", group: "g", subject: "s", cursor: 5 },
      { kind: "settle", group: "g", subject: "s", id: 4 },
      { kind: "deliver", group: "g", subject: "t", id: 4, attempt: 3 },
    ]);
  });
});

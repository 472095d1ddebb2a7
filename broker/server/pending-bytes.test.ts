import { describe, expect, it } from "vitest";
import { PendingBytesExceededError } from "../errors.ts";
import { PendingBytes } from "./pending-bytes.ts";

/** The release of an admission that must have been taken. */
function taken(admitted: (() => void) | PendingBytesExceededError): () => void {
  if (admitted instanceof PendingBytesExceededError) throw admitted;
  return admitted;
}

const refusal = (admitted: (() => void) | PendingBytesExceededError) =>
  admitted instanceof PendingBytesExceededError ? admitted.message : "taken";

describe("PendingBytes", () => {
  it("refuses past the broker's cap over every connection, and takes again once released", () => {
    const pending = new PendingBytes({ maxBytes: 100, maxConnectionBytes: 100 });
    const first = taken(pending.admit("a", 60));
    expect(refusal(pending.admit("b", 50))).toBe(
      "the broker already holds 60 bytes of publishes not yet stored; HERALD_MAX_PENDING_BYTES is 100; retry later",
    );
    // A member's forward counts against the broker's cap too.
    expect(pending.admit(undefined, 50)).toBeInstanceOf(PendingBytesExceededError);
    first();
    first();
    expect(pending.total).toBe(0);
    pending.admit("b", 50);
    expect(pending.total).toBe(50);
  });

  it("refuses past a connection's cap while other connections go on", () => {
    const pending = new PendingBytes({ maxBytes: 1000, maxConnectionBytes: 100 });
    const held = taken(pending.admit("a", 80));
    expect(refusal(pending.admit("a", 30))).toBe(
      "this connection already holds 80 bytes of publishes not yet stored; HERALD_MAX_CONNECTION_PENDING_BYTES is 100; retry later",
    );
    pending.admit("b", 90);
    pending.admit(undefined, 500);
    held();
    pending.admit("a", 30);
    expect(pending.total).toBe(620);
  });

  it("takes one publish larger than a cap while its holder holds nothing", () => {
    const pending = new PendingBytes({ maxBytes: 100, maxConnectionBytes: 10 });
    const release = taken(pending.admit("a", 100));
    expect(pending.admit("a", 1)).toBeInstanceOf(PendingBytesExceededError);
    release();
    expect(pending.total).toBe(0);
  });
});

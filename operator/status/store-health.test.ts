import { describe, expect, it } from "vitest";
import { storeCauseOf } from "./store-health.ts";

describe("storeCauseOf", () => {
  it("takes the store's cause from a /readyz body, and nothing else", () => {
    expect(storeCauseOf("not ready: store unavailable: password authentication failed\n")).toBe(
      "store unavailable: password authentication failed",
    );
    expect(storeCauseOf("not ready: draining\n")).toBeUndefined();
    expect(storeCauseOf("not ready: no cluster membership adopted yet\n")).toBeUndefined();
    expect(storeCauseOf("ok\n")).toBeUndefined();
  });
});

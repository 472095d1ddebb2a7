import { describe, expect, it } from "vitest";
import { configHash } from "./config-hash.ts";

describe("configHash", () => {
  it("ignores key order and changes with any value", () => {
    const a = configHash({ broker: { A: "1", B: "2" } });
    expect(configHash({ broker: { B: "2", A: "1" } })).toBe(a);
    expect(configHash({ broker: { A: "1", B: "3" } })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });
});

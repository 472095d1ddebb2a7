import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const mainPath = join(import.meta.dirname, "main.ts");

describe("broker process configuration", { timeout: 30_000 }, () => {
  it("exits with code 2 and one line naming the variable when a value is bad", () => {
    const result = spawnSync(process.execPath, [mainPath], {
      env: { PATH: process.env.PATH ?? "", HERALD_BATCH_MAX_SIZE: "abc" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('HERALD_BATCH_MAX_SIZE: expected a positive integer, got "abc"\n');
    expect(result.stdout).toBe("");
  });
});

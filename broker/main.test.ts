import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
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
    expect(result.stderr).toBe(
      'HERALD_BATCH_MAX_SIZE: expected an integer from 1 to 100000, got "abc"\n',
    );
    expect(result.stdout).toBe("");
  });

  it("starts despite an unknown HERALD_* variable, naming it in one warning", async () => {
    const child = spawn(process.execPath, [mainPath], {
      env: {
        PATH: process.env.PATH ?? "",
        HERALD_GRPC_ADDR: "127.0.0.1:0",
        HERALD_HTTP_ADDR: "127.0.0.1:0",
        HERALD_SETTING_FROM_A_NEWER_OPERATOR: "1",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(child, "exit");
    const lines: { level: number; msg: string }[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(JSON.parse(line) as { level: number; msg: string });
      if (lines.at(-1)?.msg === "http listening") break;
    }
    child.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings.map((line) => line.msg)).toEqual([
      "ignoring unknown variables: HERALD_SETTING_FROM_A_NEWER_OPERATOR",
    ]);
    expect(code).toBe(0);
  });
});

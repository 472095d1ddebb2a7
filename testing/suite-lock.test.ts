import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stateDir } from "./paths.ts";
import { takeSuiteLock } from "./suite-lock.ts";

const uniqueName = () => `test-${randomBytes(4).toString("hex")}`;

describe("takeSuiteLock", () => {
  it("lets one holder at a time in, and the next once it is released", async () => {
    const name = uniqueName();
    const release = await takeSuiteLock(name);
    await expect(takeSuiteLock(name, 600)).rejects.toThrow(/lock/);
    await release();
    const again = await takeSuiteLock(name, 600);
    await again();
  });

  it("takes over a lock whose owner has died", async () => {
    const name = uniqueName();
    await mkdir(join(stateDir, "locks"), { recursive: true });
    // No process has this pid: pids stay far below 2^22 on Linux.
    await writeFile(join(stateDir, "locks", `${name}.lock`), String(2 ** 30));
    const release = await takeSuiteLock(name, 2000);
    await release();
  });
});

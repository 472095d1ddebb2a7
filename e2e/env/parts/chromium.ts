import { existsSync } from "node:fs";
import { chromiumExecutable } from "../../../testing/chromium.ts";
import { EnvError } from "../../../testing/env-error.ts";
import { aptInstall } from "../apt.ts";
import type { Part } from "../part.ts";

/** Chromium for the web console's browser tests: a program, not a service, so nothing to stop. */
export const chromiumPart: Part<{ executable: string }> = {
  name: "chromium",
  async up() {
    if (!existsSync(chromiumExecutable)) await aptInstall("chromium", ["chromium"]);
    if (!existsSync(chromiumExecutable)) {
      throw new EnvError(
        "chromium",
        `${chromiumExecutable} not found`,
        "apt-get install -y chromium, or set HERALD_CHROMIUM",
      );
    }
    return { executable: chromiumExecutable };
  },
  down: () => Promise.resolve(),
};

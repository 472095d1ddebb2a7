import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../../testing/paths.ts";

/**
 * The scenarios in a child vitest with `config` and a provider chosen through `env`
 * (HERALD_E2E_PROVIDER and its settings); resolves its exit code.
 */
export function runScenarios(config: string, env: Record<string, string>): Promise<number> {
  const vitest = join(repoRoot, "node_modules", "vitest", "vitest.mjs");
  const child = spawn(process.execPath, [vitest, "run", "--config", config], {
    cwd: repoRoot,
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  return new Promise((resolve) => {
    child.once("error", () => resolve(1));
    child.once("close", (code) => resolve(code ?? 1));
  });
}

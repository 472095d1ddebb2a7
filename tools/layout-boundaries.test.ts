/**
 * The layout rules of eslint.config.js (docs/architecture.md#layout), checked on code that breaks
 * them: ESLint must refuse each import below in the file it would appear in.
 */
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint();

async function restrictedImports(filePath: string, specifier: string): Promise<number> {
  const [result] = await eslint.lintText(`export * from "${specifier}";\n`, { filePath });
  return (result?.messages ?? []).filter((message) => message.ruleId === "no-restricted-imports")
    .length;
}

describe("layout boundaries", { timeout: 60_000 }, () => {
  it.each([
    ["broker/main.ts", "../operator/render/index.ts"],
    ["operator/main.ts", "../broker/config.ts"],
    ["lib/process/env.ts", "../../contract/broker-env.ts"],
    ["contract/broker-env.ts", "../broker/config.ts"],
    ["broker/main.ts", "../testing/until.ts"],
    ["operator/main.ts", "../e2e/kubelet/env.ts"],
    ["broker/config.test.ts", "../e2e/kubelet/env.ts"],
    ["operator/process/config.test.ts", "../../broker/config.ts"],
  ])("%s may not import %s", async (filePath, specifier) => {
    expect(await restrictedImports(filePath, specifier)).toBe(1);
  });

  it.each([
    ["broker/main.ts", "../contract/broker-env.ts"],
    ["operator/main.ts", "../lib/process/env.ts"],
    ["broker/config.test.ts", "../testing/until.ts"],
  ])("%s may import %s", async (filePath, specifier) => {
    expect(await restrictedImports(filePath, specifier)).toBe(0);
  });
});

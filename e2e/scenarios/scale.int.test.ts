import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { startLocalProvider } from "../providers/local.ts";
import type { Provider } from "./provider.ts";
import { runScaleScenario } from "./scale.ts";

const env = inject("testEnv");
let provider: Provider;

beforeAll(async () => {
  provider = await startLocalProvider(env);
}, 60_000);

afterAll(async () => {
  await provider?.stop();
}, 120_000);

test("local: create, publish/subscribe, scale 1 → 3 → 2 under traffic, delete", async () => {
  const result = await runScaleScenario(provider);
  process.stderr.write(
    `e2e ${provider.name}: ${result.published} acknowledged publishes (${result.failedPublishes} failed), steps ${result.steps.join(" ")}, scale up ${result.scaleUpMs} ms, scale down ${result.scaleDownMs} ms\n`,
  );
  expect(result.published).toBeGreaterThan(0);
}, 240_000);

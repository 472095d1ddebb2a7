import { afterAll, beforeAll, expect, test } from "vitest";
import type { Provider } from "./provider.ts";
import { runScaleScenario } from "./scale.ts";
import {
  providerName as name,
  scenarioTimeouts as timeouts,
  startProvider,
} from "./select-provider.ts";

let provider: Provider;

beforeAll(async () => {
  provider = await startProvider();
}, timeouts.setup);

afterAll(async () => {
  await provider?.stop();
}, 120_000);

test(
  `${name}: create, publish/subscribe, scale 1 → 3 → 2 under traffic, delete`,
  async () => {
    const result = await runScaleScenario(provider);
    process.stderr.write(
      `e2e ${provider.name}: ${result.published} acknowledged publishes (${result.failedPublishes} failed), steps ${result.steps.join(" ")}, scale up ${result.scaleUpMs} ms, scale down ${result.scaleDownMs} ms\n`,
    );
    expect(result.published).toBeGreaterThan(0);
  },
  timeouts.test,
);

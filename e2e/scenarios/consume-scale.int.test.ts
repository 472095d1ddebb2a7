import { afterAll, beforeAll, expect, test } from "vitest";
import { runConsumeScaleScenario } from "./consume-scale.ts";
import type { Provider } from "./provider.ts";
import { providerName, scenarioTimeouts as timeouts, startProvider } from "./select-provider.ts";

let provider: Provider;

beforeAll(async () => {
  provider = await startProvider();
}, timeouts.setup);

afterAll(async () => {
  await provider?.stop();
}, 120_000);

test(
  `${providerName}: 4 group workers consume and ack under publish load while the broker scales 1 → 3 → 1`,
  async () => {
    const result = await runConsumeScaleScenario(provider);
    process.stderr.write(
      `e2e consumer groups: ${result.published} acknowledged publishes (${result.failedPublishes} failed), ${result.acks} acks (per worker ${result.perWorker.join("/")}, joins ${result.joins.join("/")}), ${result.redeliveries} redeliveries, ${result.deadLettered} dead-lettered; scale up ${result.scaleUpMs} ms, scale down ${result.scaleDownMs} ms, drained ${result.drainMs} ms after publishing stopped\n`,
    );
    expect(result.published).toBeGreaterThan(0);
  },
  Math.max(180_000, timeouts.test),
);

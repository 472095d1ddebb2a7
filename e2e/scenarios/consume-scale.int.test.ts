import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { startLocalProvider } from "../providers/local.ts";
import { runConsumeScaleScenario } from "./consume-scale.ts";
import type { Provider } from "./provider.ts";

let provider: Provider;

beforeAll(async () => {
  provider = await startLocalProvider(inject("testEnv"));
}, 60_000);

afterAll(async () => {
  await provider?.stop();
}, 120_000);

test("local: 4 group workers consume and ack under publish load while the broker scales 1 → 3 → 1", async () => {
  const result = await runConsumeScaleScenario(provider);
  process.stderr.write(
    `e2e consumer groups: ${result.published} acknowledged publishes (${result.failedPublishes} failed), ${result.acks} acks (per worker ${result.perWorker.join("/")}, joins ${result.joins.join("/")}), ${result.redeliveries} redeliveries, ${result.deadLettered} dead-lettered; scale up ${result.scaleUpMs} ms, scale down ${result.scaleDownMs} ms, drained ${result.drainMs} ms after publishing stopped\n`,
  );
  expect(result.published).toBeGreaterThan(0);
}, 180_000);

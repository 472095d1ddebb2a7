import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { startKindProvider } from "../providers/kind.ts";
import { startLocalProvider } from "../providers/local.ts";
import { startNodeProvider } from "../providers/node.ts";
import type { Provider } from "./provider.ts";
import { runScaleScenario } from "./scale.ts";

// `make e2e-kind` and `make e2e-node` set it and run this file without the local test environment.
const name = process.env.HERALD_E2E_PROVIDER ?? "local";
// A kind node may first pull the PostgreSQL image, and pods start slower than processes.
const timeouts =
  name === "local" ? { setup: 60_000, test: 240_000 } : { setup: 300_000, test: 600_000 };
let provider: Provider;

beforeAll(async () => {
  if (name === "kind") provider = await startKindProvider();
  else if (name === "node") provider = await startNodeProvider();
  else provider = await startLocalProvider(inject("testEnv"));
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

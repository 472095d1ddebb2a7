import { afterAll, beforeAll, inject } from "vitest";
import { startKindProvider } from "../providers/kind.ts";
import { startLocalProvider } from "../providers/local.ts";
import { startNodeProvider } from "../providers/node.ts";
import type { Provider } from "./provider.ts";

/**
 * The provider a scenario file runs on: `make e2e-kind` and `make e2e-node` set
 * HERALD_E2E_PROVIDER and run the file without the local test environment.
 */
export const providerName = process.env.HERALD_E2E_PROVIDER ?? "local";

/** Pods of a real node start slower than processes, and a kind node may first pull images. */
export const scenarioTimeouts =
  providerName === "local" ? { setup: 60_000, test: 240_000 } : { setup: 300_000, test: 600_000 };

export function startProvider(): Promise<Provider> {
  if (providerName === "kind") return startKindProvider();
  if (providerName === "node") return startNodeProvider();
  return startLocalProvider(inject("testEnv"));
}

/**
 * Starts the selected provider before the file's tests, if the file runs on it, and stops it after
 * them; the getter returns it once started.
 */
export function providerForFile(runs: boolean): () => Provider | undefined {
  let provider: Provider | undefined;
  beforeAll(async () => {
    if (runs) provider = await startProvider();
  }, scenarioTimeouts.setup);
  afterAll(async () => {
    await provider?.stop();
  }, 120_000);
  return () => provider;
}

/**
 * A broker that cannot reach its external store: the MessageBroker's StorageReady condition says
 * why, in the brokers' own words, so a user sees a refused connection without reading pod logs.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { until } from "../../testing/until.ts";
import type { Provider } from "./provider.ts";
import { providerName, scenarioTimeouts as timeouts, startProvider } from "./select-provider.ts";
import { postgresBrokerManifest, readBroker } from "./postgres-broker.ts";

let provider: Provider;
const name = "nostore";

beforeAll(async () => {
  provider = await startProvider();
}, timeouts.setup);

afterAll(async () => {
  await provider?.stop();
}, 120_000);

test(
  `${providerName}: StorageReady is False with the store's cause while the brokers cannot reach it`,
  async () => {
    // Nothing listens on port 1 of the loopback (a pod's own, on a real node): every connect is refused.
    const refusing = { host: "127.0.0.1", port: 1 };
    await provider.kubectl(
      ["apply", "-f", "-"],
      postgresBrokerManifest(provider, name, 1, refusing),
    );
    const condition = await until(
      "StorageReady False with the cause",
      async () => {
        const conditions = (await readBroker(provider, name)).status?.conditions ?? [];
        const storage = conditions.find((c) => c.type === "StorageReady");
        return storage?.status === "False" ? storage : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(condition.reason).toBe("StoreUnavailable");
    expect(condition.message).toMatch(/^nostore-0: store unavailable: .*ECONNREFUSED/);
  },
  Math.max(90_000, timeouts.test),
);

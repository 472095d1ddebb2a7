/**
 * Fault: the operator SIGKILLed mid-reconcile, while it scales a MessageBroker on PostgreSQL from 1 to
 * 3 under mixed load through the first pod (the local provider: the operator and the process kubelet's
 * broker pods are processes here). Its successor waits out the lease and finishes the scale from the
 * cluster alone; subjects move to their new owners under the load.
 */
import { readdir, readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { HeraldClientOptions } from "../../broker/client/herald-client.ts";
import { uniqueSubject } from "../../broker/test/harness.ts";
import { runFaultCase } from "../../broker/test/faults/fault-case.ts";
import { until } from "../../testing/until.ts";
import { startLocalProvider } from "../providers/local.ts";
import { clientOptionsFor, untilAccepted } from "../scenarios/credentials.ts";
import { postgresBrokerManifest, readBroker, settledAt } from "../scenarios/postgres-broker.ts";
import type { Provider } from "../scenarios/provider.ts";

const name = "faults";
let provider: Provider;
let address: string;
let security: HeraldClientOptions;

/** The broker pods of `namespace`: processes whose environment names it (the kubelet runs pods as processes). */
async function brokerPids(namespace: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = await readFile(`/proc/${entry}/environ`, "utf8").catch(() => "");
    const variables = environ.split("\0");
    if (
      variables.includes(`POD_NAMESPACE=${namespace}`) &&
      variables.some((v) => v.startsWith("HERALD_"))
    ) {
      pids.push(Number(entry));
    }
  }
  return pids;
}

beforeAll(async () => {
  provider = await startLocalProvider(inject("testEnv"));
  await provider.kubectl(["apply", "-f", "-"], postgresBrokerManifest(provider, name, 1));
  await settledAt(provider, name, 1, 120_000);
  security = await clientOptionsFor(provider, name);
  address = await provider.podAddress(`${name}-0`);
  await untilAccepted(address, security);
}, 240_000);

afterAll(async () => {
  await provider?.stop();
}, 120_000);

describe("fault: operator killed mid-reconcile", () => {
  it(
    "SIGKILL of the operator during a scale 1 → 3: no acknowledged message lost, no key stored twice",
    { timeout: 60_000 },
    async () => {
      let pids: number[] = await brokerPids(provider.namespace);
      expect(pids).toHaveLength(1);
      // /proc is scanned once a second, not at every RSS sample: new pods join as they start.
      const scan = setInterval(() => {
        void brokerPids(provider.namespace).then((found) => (pids = found));
      }, 1_000);
      try {
        const result = await runFaultCase({
          fault: "operator SIGKILLed mid scale 1 → 3 (postgres)",
          addresses: [address],
          checkAddress: address,
          clientOptions: security,
          subjects: Array.from({ length: 6 }, (_, n) => uniqueSubject(`fault.operator${n}`)),
          // The scale takes about 20 s under load, at 2,000 and more acknowledgements a second: the
          // default bound of 50,000 messages ran out before the fault ended in 3 of 5 runs.
          maxMessages: 200_000,
          pids: () => pids,
          inject: async () => {
            await provider.kubectl(["scale", `messagebroker/${name}`, "--replicas=3"]);
            await until(
              "the scale to 3 under way",
              async () => (await readBroker(provider, name)).status?.scaling?.to === 3,
              { timeoutMs: 20_000, intervalMs: 100 },
            );
            await provider.killOperator();
            const restarted = performance.now();
            const settled = await settledAt(provider, name, 3, 45_000);
            process.stderr.write(
              `operator fault: the new operator finished the scale ${Math.round(performance.now() - restarted)} ms after it started, at epoch ${settled.status?.membershipEpoch}\n`,
            );
            return { endedAt: [restarted] };
          },
        });
        expect(result.acked).toBeGreaterThan(0);
        expect(pids).toHaveLength(3);
      } finally {
        clearInterval(scan);
      }
    },
  );
});

/**
 * Fault: the broker process SIGKILLed and restarted on the same ports and store (PostgreSQL, then
 * Cassandra), three times, under mixed unary and stream load with idempotency keys.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, inject, it } from "vitest";
import { until } from "../../../testing/until.ts";
import { uniqueSubject } from "../harness.ts";
import { brokerTestStores } from "../test-stores.ts";
import { brokerStoreEnv, type PersistentKind } from "../broker-process.ts";
import { type FaultBroker, startFaultBroker } from "./fault-brokers.ts";
import { runFaultCase } from "./fault-case.ts";

const env = inject("testEnv");

describe.each<PersistentKind>(["postgres", "cassandra"])("fault: SIGKILL loop on %s", (kind) => {
  const stores = brokerTestStores(env, kind, "herald_fault_kill");
  const brokers: FaultBroker[] = [];
  afterAll(async () => {
    await Promise.all(brokers.map((broker) => broker.kill()));
    await stores.drop();
  });

  it(
    "loses no acknowledged message and stores no key twice through 3 SIGKILL and restart rounds",
    { timeout: 60_000 },
    async () => {
      const broker = await startFaultBroker(brokerStoreEnv(kind, env, stores.namespace));
      brokers.push(broker);
      const subjects = Array.from({ length: 6 }, (_, n) => uniqueSubject(`fault.kill${n}`));
      const result = await runFaultCase({
        fault: `SIGKILL loop (3 rounds, ${kind})`,
        addresses: [broker.address],
        checkAddress: broker.address,
        subjects,
        pids: () => [broker.pid],
        inject: async (load) => {
          const endedAt: number[] = [];
          for (let round = 0; round < 3; round++) {
            await broker.kill();
            // The restart ends the fault: recovery counts the broker's startup and the clients' reconnection.
            const restarted = performance.now();
            endedAt.push(restarted);
            await broker.restart();
            // Busy again before the next kill, so each round kills a broker under load.
            await until(
              "an acknowledgement after the restart",
              () => load.recoveryMs(restarted) !== undefined,
              {
                timeoutMs: 20_000,
              },
            );
            await sleep(500);
          }
          return { endedAt };
        },
      });
      // The fault was felt: the load saw calls fail and repeated them.
      expect(result.retried).toContain("UNAVAILABLE");
    },
  );
});

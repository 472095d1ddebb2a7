/**
 * Fault: the store frozen and the store stopped, under mixed load, on PostgreSQL and Cassandra. The
 * shared test servers serve every other suite, so they are never SIGSTOPped or stopped: a TCP proxy
 * between broker and store stalls (frozen: connections stay open, no byte moves) or closes (stopped:
 * open connections reset, new ones refused) instead.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, inject, it } from "vitest";
import { TcpProxy } from "../../../testing/tcp-proxy.ts";
import { uniqueSubject } from "../harness.ts";
import { brokerStoreEnv, type PersistentKind } from "../broker-process.ts";
import { brokerTestStores } from "../test-stores.ts";
import { type FaultBroker, startFaultBroker } from "./fault-brokers.ts";
import { runFaultCase } from "./fault-case.ts";

const env = inject("testEnv");
const outageMs = 4_000;

const outages = {
  frozen: {
    begin: (proxy: TcpProxy) => Promise.resolve(proxy.stall()),
    end: (proxy: TcpProxy) => Promise.resolve(proxy.resume()),
  },
  stopped: { begin: (proxy: TcpProxy) => proxy.cut(), end: (proxy: TcpProxy) => proxy.restore() },
};

describe.each<PersistentKind>(["postgres", "cassandra"])("fault: store outage on %s", (kind) => {
  const stores = brokerTestStores(env, kind, "herald_fault_store");
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    await stores.drop();
  });

  it.each(["frozen", "stopped"] as const)(
    "the store %s for 4 s: no acknowledged message lost, no key stored twice",
    { timeout: 60_000 },
    async (outage) => {
      const server = stores.backend.server;
      if (server === undefined) throw new Error(`${kind} has no server to proxy`);
      const proxy = await TcpProxy.start(server.host, server.port);
      cleanup.push(() => proxy.close());
      const broker: FaultBroker = await startFaultBroker({
        ...brokerStoreEnv(kind, env, stores.namespace, proxy.port),
        HERALD_STORE_TIMEOUT_MS: "1000",
      });
      cleanup.push(() => broker.kill());
      const result = await runFaultCase({
        fault: `store ${outage} 4 s (${kind})`,
        addresses: [broker.address],
        checkAddress: broker.address,
        subjects: Array.from({ length: 6 }, (_, n) => uniqueSubject(`fault.${outage}${n}`)),
        pids: () => [broker.pid],
        inject: async () => {
          await outages[outage].begin(proxy);
          await sleep(outageMs);
          await outages[outage].end(proxy);
          return { endedAt: [performance.now()] };
        },
      });
      // The fault was felt: the load saw calls fail and repeated them.
      expect(result.retried).toContain("UNAVAILABLE");
    },
  );
});

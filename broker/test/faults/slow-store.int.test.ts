/**
 * Fault: a slow disk under the store, under mixed load. PostgreSQL with fsync delays would need a
 * server of our own (the shared one serves every other suite and cannot be slowed), so the link to it
 * is slowed instead: the test TCP proxy holds every chunk, both ways, for a while, which slows each
 * store round trip as a disk that is slow to sync slows each commit.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, inject, it } from "vitest";
import { TcpProxy } from "../../../testing/tcp-proxy.ts";
import { brokerStoreEnv, type PersistentKind } from "../broker-process.ts";
import { uniqueSubject } from "../harness.ts";
import { brokerTestStores } from "../test-stores.ts";
import { startFaultBroker } from "./fault-brokers.ts";
import { runFaultCase } from "./fault-case.ts";

const env = inject("testEnv");
const latencyMs = 40;
const slowForMs = 5_000;

describe.each<PersistentKind>(["postgres", "cassandra"])("fault: slow store on %s", (kind) => {
  const stores = brokerTestStores(env, kind, "herald_fault_slow");
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    await stores.drop();
  });

  it(
    `every chunk to and from the store held ${latencyMs} ms for 5 s: no acknowledged message lost, no key stored twice`,
    { timeout: 60_000 },
    async () => {
      const server = stores.backend.server;
      if (server === undefined) throw new Error(`${kind} has no server to proxy`);
      const proxy = await TcpProxy.start(server.host, server.port);
      cleanup.push(() => proxy.close());
      const broker = await startFaultBroker(
        brokerStoreEnv(kind, env, stores.namespace, proxy.port),
      );
      cleanup.push(() => broker.kill());
      await runFaultCase({
        fault: `slow store ${latencyMs} ms per chunk for 5 s (${kind})`,
        addresses: [broker.address],
        checkAddress: broker.address,
        subjects: Array.from({ length: 6 }, (_, n) => uniqueSubject(`fault.slow${n}`)),
        pids: () => [broker.pid],
        inject: async () => {
          proxy.setLatency(latencyMs);
          await sleep(slowForMs);
          proxy.setLatency(0);
          return { endedAt: [performance.now()] };
        },
      });
    },
  );
});

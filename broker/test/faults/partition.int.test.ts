/**
 * Fault: one member of a three-broker cluster on PostgreSQL (static membership, HERALD_CLUSTER_MEMBERS)
 * partitioned from the other two for 5 s, under mixed load through the other two. Each member reaches
 * each peer through a proxy of its own (each member's list names the proxies it calls through; the
 * owner of a subject depends on the names only), so closing the four proxies to and from one member
 * cuts it off both ways while clients still reach every broker.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../../testing/free-port.ts";
import { TcpProxy } from "../../../testing/tcp-proxy.ts";
import { rendezvousOwner } from "../../cluster/hrw.ts";
import { brokerStoreEnv } from "../broker-process.ts";
import { uniqueSubject } from "../harness.ts";
import { brokerTestStores } from "../test-stores.ts";
import { type FaultBroker, startFaultBroker } from "./fault-brokers.ts";
import { runFaultCase } from "./fault-case.ts";

const env = inject("testEnv");
const stores = brokerTestStores(env, "postgres", "herald_fault_partition");
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await stores.drop();
});

const partitionMs = 5_000;

interface Link {
  readonly from: number;
  readonly to: number;
  readonly proxy: TcpProxy;
}

/** Three members named m0…m2, member i calling member j through its own proxy. */
async function startCluster() {
  const names = ["m0", "m1", "m2"];
  const ports = await Promise.all(names.map(() => freePort()));
  const links: Link[] = [];
  for (const [from] of names.entries()) {
    for (const [to, port] of ports.entries()) {
      if (from === to) continue;
      const proxy = await TcpProxy.start("127.0.0.1", port);
      cleanup.push(() => proxy.close());
      links.push({ from, to, proxy });
    }
  }
  const membersSeenBy = (from: number) =>
    names.map((name, to) => {
      const link = links.find((candidate) => candidate.from === from && candidate.to === to);
      return { name, address: `127.0.0.1:${link?.proxy.port ?? ports[to]}` };
    });
  const brokers = await Promise.all(
    names.map(async (name, index): Promise<FaultBroker> => {
      const broker = await startFaultBroker(
        {
          ...brokerStoreEnv("postgres", env, stores.namespace),
          HERALD_CLUSTER_MEMBERS: JSON.stringify({ epoch: 1, members: membersSeenBy(index) }),
          POD_NAME: name,
          HERALD_STORE_TIMEOUT_MS: "1000",
          HERALD_FORWARD_TIMEOUT_MS: "2000",
        },
        ports[index],
      );
      cleanup.push(() => broker.kill());
      return broker;
    }),
  );
  const members = names.map((name) => ({ name }));
  const ownerOf = (subject: string) => names.indexOf(rendezvousOwner(subject, members)?.name ?? "");
  return { brokers, links, ownerOf };
}

/** `count` subjects owned by `member` and `count` owned by the others, by rendezvous hashing. */
function subjectsAround(member: number, ownerOf: (subject: string) => number, count: number) {
  const owned: string[] = [];
  const others: string[] = [];
  for (let tries = 0; tries < 1_000 && (owned.length < count || others.length < count); tries++) {
    const subject = uniqueSubject(`fault.partition${tries}`);
    const list = ownerOf(subject) === member ? owned : others;
    if (list.length < count) list.push(subject);
  }
  return { owned, all: [...owned, ...others] };
}

describe("fault: member partition", () => {
  it(
    "a member cut off from its peers for 5 s: no acknowledged message lost, no key stored twice",
    { timeout: 60_000 },
    async () => {
      const { brokers, links, ownerOf } = await startCluster();
      const isolated = 2;
      const { owned, all } = subjectsAround(isolated, ownerOf, 4);
      const reachable = brokers.filter((_, index) => index !== isolated).map((b) => b.address);
      const cut = links.filter((link) => link.from === isolated || link.to === isolated);
      const result = await runFaultCase({
        fault: "member partitioned 5 s (3 members, postgres)",
        addresses: reachable,
        checkAddress: reachable[0] ?? "",
        subjects: all,
        pids: () => brokers.map((broker) => broker.pid),
        inject: async () => {
          await Promise.all(cut.map((link) => link.proxy.cut()));
          await sleep(partitionMs);
          await Promise.all(cut.map((link) => link.proxy.restore()));
          return { endedAt: [performance.now()], affected: new Set(owned) };
        },
      });
      // The fault was felt: the load saw calls fail and repeated them.
      expect(result.retried).toContain("UNAVAILABLE");
    },
  );
});

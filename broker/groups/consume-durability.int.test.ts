/**
 * A consumer group survives SIGKILL of the broker process (broker/README.md#consumer-groups): after a
 * restart no acknowledged message whose ack was written is delivered again, and every other message
 * (held unacknowledged, or never delivered) is.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, inject, it } from "vitest";
import { HeraldClient } from "../client/herald-client.ts";
import { type BrokerProcess, httpStatus, startBrokerProcess } from "../test/broker-process.ts";
import { uniqueSubject } from "../test/harness.ts";
import { brokerTestStores, type StoreKind } from "../test/test-stores.ts";
import type { TestEnv } from "../../testing/test-env.ts";
import { until } from "../../testing/until.ts";
import { RawMember } from "./test/raw-member.ts";

function storeEnv(kind: StoreKind, env: TestEnv, namespace: string): Record<string, string> {
  if (kind === "postgres") {
    return {
      HERALD_STORE: "postgres",
      HERALD_POSTGRES_URL: env.postgres.url,
      HERALD_POSTGRES_SCHEMA: namespace,
    };
  }
  return {
    HERALD_STORE: "cassandra",
    HERALD_CASSANDRA_CONTACT_POINTS: `${env.cassandra.contactPoint}:${env.cassandra.port}`,
    HERALD_CASSANDRA_LOCAL_DC: env.cassandra.localDataCenter,
    HERALD_CASSANDRA_KEYSPACE: namespace,
  };
}

/** The group's counter on the broker's /metrics. */
async function ackedOnBroker(broker: BrokerProcess, group: string): Promise<number> {
  const text = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  const line = text
    .split("\n")
    .find((candidate) => candidate.startsWith(`herald_group_acked_total{group="${group}"}`));
  return Number(line?.split(" ").at(-1) ?? 0);
}

const persistentKinds: readonly StoreKind[] = ["postgres", "cassandra"];

describe.each(persistentKinds)("consumer group through SIGKILL on %s", (kind) => {
  const env = inject("testEnv");
  const stores = brokerTestStores(env, kind, "herald_group_kill");
  const brokers: BrokerProcess[] = [];
  const members: RawMember[] = [];

  const start = async () => {
    const broker = await startBrokerProcess(storeEnv(kind, env, stores.namespace));
    brokers.push(broker);
    await until("/readyz 200", async () => (await httpStatus(broker, "/readyz")) === 200, {
      timeoutMs: 60_000,
    });
    return broker;
  };

  afterAll(async () => {
    for (const member of members) member.close();
    for (const broker of brokers) if (broker.child.exitCode === null) broker.child.kill("SIGKILL");
    await stores.drop();
  });

  it("delivers no written ack again and every unacknowledged message again", async () => {
    const root = uniqueSubject("kill");
    const subjects = [`${root}.a`, `${root}.b`];
    const group = `kill-${randomUUID().slice(0, 8)}`;
    const first = await start();
    const holders = [1, 2].map(() => {
      const member = new RawMember(first.address, {
        group,
        subject: `${root}.*`,
        maxInFlight: 20,
        ackWaitMs: 60_000,
      });
      members.push(member);
      return member;
    });
    await Promise.all(holders.map((member) => member.joined));

    const publisher = new HeraldClient(first.address);
    const published = new Set<string>();
    for (let n = 0; n < 300; n++) {
      const subject = subjects[n % 2] ?? "";
      published.add(`${subject}#${await publisher.publish(subject, `m${n}`)}`);
    }
    publisher.close();

    // Each member acks four of every five deliveries and holds the fifth, until its window is full
    // of held ones: the rest of the 300 stay undelivered.
    const acked = new Set<string>();
    const held = new Set<string>();
    await until(
      "both members' windows full of held messages",
      () => {
        for (const member of holders) {
          for (const delivery of member.deliveries.splice(0)) {
            const key = `${delivery.subject}#${delivery.id}`;
            if (delivery.id % 5 === 0) {
              held.add(key);
            } else {
              member.ack(delivery);
              acked.add(key);
            }
          }
        }
        return held.size === 40;
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    await until(
      "every ack written",
      async () => (await ackedOnBroker(first, group)) === acked.size,
    );
    // The deliveries' own writes go in the same ordered group commit, a few milliseconds behind.
    await sleep(300);
    expect(acked.size + held.size).toBeLessThan(published.size);

    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    // Delivered after the last look (an ack freed a slot): held as well.
    for (const member of holders) {
      for (const delivery of member.deliveries) held.add(`${delivery.subject}#${delivery.id}`);
    }

    const second = await start();
    const after = new RawMember(second.address, {
      group,
      subject: `${root}.*`,
      maxInFlight: 1000,
    });
    members.push(after);
    const due = published.size - acked.size;
    const deliveries = await after.received(due, 30_000);
    const keys = deliveries.map((delivery) => `${delivery.subject}#${delivery.id}`);
    expect(keys.filter((key) => acked.has(key))).toEqual([]);
    expect(new Set(keys).size).toBe(due);
    for (const delivery of deliveries) {
      const key = `${delivery.subject}#${delivery.id}`;
      expect(delivery.attempt, key).toBe(held.has(key) ? 2 : 1);
    }
  });
});

/**
 * Durability of the broker process on persistent stores (issue 3 acceptance):
 * the real `node broker/main.ts`, killed, drained and cut off from its store
 * while clients publish.
 */
import type { ServiceError } from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { afterAll, describe, expect, inject, it } from "vitest";
import { HeraldClient } from "../client/herald-client.ts";
import { TcpProxy } from "../../testing/tcp-proxy.ts";
import {
  type BrokerProcess,
  brokerStoreEnv,
  httpStatus,
  type PersistentKind,
  startBrokerProcess,
} from "./broker-process.ts";
import { uniqueSubject } from "./harness.ts";
import { brokerTestStores } from "./test-stores.ts";
import { until } from "../../testing/until.ts";

interface Acked {
  readonly subject: string;
  readonly id: number;
  readonly body: string;
}

/** Sixteen publishers looping over `subjects` until stopped (at most 20,000 publishes). */
function startLoad(
  address: string,
  subjects: readonly string[],
  options: { continueOnError: boolean },
) {
  const client = new HeraldClient(address, { callTimeoutMs: 10_000 });
  const acked: Acked[] = [];
  const failures: number[] = [];
  let stopped = false;
  let next = 0;
  const loops = Array.from({ length: 16 }, async () => {
    while (!stopped && next < 20_000) {
      const n = next++;
      const subject = subjects[n % subjects.length] ?? "";
      const body = `m${n}`;
      try {
        acked.push({ subject, id: await client.publish(subject, body), body });
      } catch (err) {
        failures.push((err as ServiceError).code);
        if (!options.continueOnError) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });
  return {
    acked,
    failures,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      client.close();
    },
  };
}

async function waitUntilReady(broker: BrokerProcess): Promise<void> {
  await until("/readyz 200", async () => (await httpStatus(broker, "/readyz")) === 200, {
    timeoutMs: 60_000,
  });
}

/** Every acknowledged message is fetchable with its body. */
async function expectAllStored(address: string, acked: readonly Acked[]): Promise<void> {
  const client = new HeraldClient(address);
  try {
    const missing: Acked[] = [];
    for (const message of acked) {
      const fetched = await client.fetch(message.subject, message.id).catch(() => undefined);
      if (fetched?.body.toString("utf8") !== message.body) missing.push(message);
    }
    expect(missing).toEqual([]);
  } finally {
    client.close();
  }
}

const persistentKinds: readonly PersistentKind[] = ["postgres", "cassandra"];

describe.each(persistentKinds)("broker process durability on %s", (kind) => {
  const env = inject("testEnv");
  const stores = brokerTestStores(env, kind, "herald_durability");
  const brokers: BrokerProcess[] = [];
  const start = async (extra: Record<string, string> = {}, port?: number) => {
    const broker = await startBrokerProcess({
      ...brokerStoreEnv(kind, env, stores.namespace, port),
      ...extra,
    });
    brokers.push(broker);
    return broker;
  };

  afterAll(async () => {
    for (const broker of brokers) if (broker.child.exitCode === null) broker.child.kill("SIGKILL");
    await stores.drop();
  });

  it("keeps every acknowledged message through SIGKILL, and continues ids above them after restart", async () => {
    const subjects = [1, 2, 3, 4].map((n) => uniqueSubject(`kill${n}`));
    const first = await start();
    await waitUntilReady(first);
    const load = startLoad(first.address, subjects, { continueOnError: false });
    await until("500 acknowledged publishes", () => load.acked.length >= 500, {
      timeoutMs: 60_000,
    });
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    await load.stop();

    const second = await start();
    await waitUntilReady(second);
    await expectAllStored(second.address, load.acked);
    const client = new HeraldClient(second.address);
    try {
      for (const subject of subjects) {
        const highestAcked = Math.max(
          ...load.acked.filter((m) => m.subject === subject).map((m) => m.id),
        );
        expect(await client.publish(subject, "after restart")).toBeGreaterThan(highestAcked);
      }
    } finally {
      client.close();
    }
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });

  it("answers keys acknowledged before SIGKILL with their ids after the restart, storing nothing twice", async () => {
    const subject = uniqueSubject("keyed");
    const keys = Array.from({ length: 50 }, (_, n) => `key-${n}`);
    const first = await start();
    await waitUntilReady(first);
    const before = new HeraldClient(first.address);
    const ids = await Promise.all(
      keys.map((key, n) => before.publish(subject, `m${n}`, { idempotencyKey: key })),
    );
    before.close();
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");

    const second = await start();
    await waitUntilReady(second);
    const after = new HeraldClient(second.address);
    try {
      expect(
        await Promise.all(
          keys.map((key, n) => after.publish(subject, `m${n}`, { idempotencyKey: key })),
        ),
      ).toEqual(ids);
      expect(
        await after.publishBatch([
          { subject, body: "m0", idempotencyKey: "key-0" },
          { subject, body: "m1", idempotencyKey: "key-1" },
        ]),
      ).toEqual(ids.slice(0, 2));
      const publisher = after.publisher();
      expect(await publisher.publish(subject, "m2", { idempotencyKey: "key-2" })).toBe(ids[2]);
      await publisher.close();
      // The repeats took no ids: the next message follows the last acknowledged one.
      expect(await after.publish(subject, "new")).toBe(Math.max(...ids) + 1);
      await expectAllStored(
        second.address,
        ids.map((id, n) => ({ subject, id, body: `m${n}` })),
      );
    } finally {
      after.close();
    }
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });

  it("drains on SIGTERM under load: exits 0 and every acknowledged message is stored", async () => {
    const subjects = [1, 2].map((n) => uniqueSubject(`term${n}`));
    const broker = await start();
    await waitUntilReady(broker);
    const load = startLoad(broker.address, subjects, { continueOnError: false });
    await until("300 acknowledged publishes", () => load.acked.length >= 300, {
      timeoutMs: 60_000,
    });
    broker.child.kill("SIGTERM");
    expect(await broker.exited).toBe(0);
    await load.stop();
    expect(new Set(load.failures.map((code) => status[code]))).toEqual(new Set(["UNAVAILABLE"]));

    const restarted = await start();
    await waitUntilReady(restarted);
    await expectAllStored(restarted.address, load.acked);
    restarted.child.kill("SIGTERM");
    expect(await restarted.exited).toBe(0);
  });

  it("drains on SIGTERM during a PublishStream: the stream ends UNAVAILABLE and every acked message is stored", async () => {
    const subject = uniqueSubject("termstream");
    const broker = await start();
    await waitUntilReady(broker);
    const client = new HeraldClient(broker.address);
    const publisher = client.publisher();
    const acked: Acked[] = [];
    const failures: number[] = [];
    const load = (async () => {
      for (let n = 0; failures.length === 0 && n < 2_000; n += 1) {
        const bodies = Array.from({ length: 64 }, (_, k) => `m${n}.${k}`);
        await Promise.all(
          bodies.map((body) =>
            publisher.publish(subject, body).then(
              (id) => acked.push({ subject, id, body }),
              (err: ServiceError) => failures.push(err.code),
            ),
          ),
        );
      }
    })();
    await until("500 acknowledged publishes", () => acked.length >= 500, { timeoutMs: 60_000 });
    broker.child.kill("SIGTERM");
    expect(await broker.exited).toBe(0);
    await load;
    client.close();
    expect(new Set(failures.map((code) => status[code]))).toEqual(new Set(["UNAVAILABLE"]));

    const restarted = await start();
    await waitUntilReady(restarted);
    await expectAllStored(restarted.address, acked);
    restarted.child.kill("SIGTERM");
    expect(await restarted.exited).toBe(0);
  });

  it("answers UNAVAILABLE while the store is unreachable, stays up, and resumes publishing", async () => {
    const server = stores.backend.server;
    if (server === undefined) throw new Error(`${kind} has no server to cut`);
    const proxy = await TcpProxy.start(server.host, server.port);
    try {
      const subjects = [1, 2, 3].map((n) => uniqueSubject(`outage${n}`));
      const broker = await start({ HERALD_STORE_TIMEOUT_MS: "1000" }, proxy.port);
      await waitUntilReady(broker);
      const load = startLoad(broker.address, subjects, { continueOnError: true });
      await until("200 acknowledged publishes", () => load.acked.length >= 200, {
        timeoutMs: 60_000,
      });

      await proxy.cut();
      await until("20 failed publishes during the outage", () => load.failures.length >= 20, {
        timeoutMs: 60_000,
      });
      expect(await httpStatus(broker, "/healthz")).toBe(200);
      expect(await httpStatus(broker, "/readyz")).toBe(503);

      await proxy.restore();
      const ackedAtRestore = load.acked.length;
      await until(
        "200 more acknowledged publishes after the restore",
        () => load.acked.length >= ackedAtRestore + 200,
        { timeoutMs: 60_000 },
      );
      await load.stop();

      expect(broker.child.exitCode).toBeNull();
      expect(new Set(load.failures.map((code) => status[code]))).toEqual(new Set(["UNAVAILABLE"]));
      await expectAllStored(broker.address, load.acked);
      broker.child.kill("SIGTERM");
      expect(await broker.exited).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});

/**
 * The consumer-group scenario of issue 14, provider-independent: a one-replica MessageBroker on
 * external PostgreSQL, 4 workers of one group consuming and acking a pattern while a publisher
 * loads 8 subjects, and the broker scaled 1 → 3 → 1 under that load. Every acknowledged publish
 * must be acknowledged by a worker at least once, no message may be handled after it was
 * dead-lettered, and in the end the group has nothing left to deliver.
 */
import { expect } from "vitest";
import { type ConsumedMessage, HeraldClient } from "../../broker/client/herald-client.ts";
import { clientOptionsFor, untilAccepted } from "./credentials.ts";
import type { Provider } from "./provider.ts";
import { until } from "../../testing/until.ts";
import { postgresBrokerManifest, settledAt } from "./postgres-broker.ts";

const name = "tasks";
const group = "e2e-workers";
const pattern = "e2e.task.*";
const subjects = Array.from({ length: 8 }, (_, i) => `e2e.task.${i}`);
const workerCount = 4;
const maxDeliveries = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const keyOf = (message: { subject: string; id: number }) => `${message.subject}#${message.id}`;

export interface ConsumeScaleResult {
  /** Publishes the broker acknowledged. */
  readonly published: number;
  readonly failedPublishes: number;
  /** Handler runs that acked, over all workers (a redelivered message counts again). */
  readonly acks: number;
  /** Deliveries with an attempt above 1. */
  readonly redeliveries: number;
  readonly deadLettered: number;
  /** Acks per worker. */
  readonly perWorker: readonly number[];
  readonly joins: readonly number[];
  readonly scaleUpMs: number;
  readonly scaleDownMs: number;
  /** From the end of publishing until every acknowledged publish was acked by a worker. */
  readonly drainMs: number;
}

export async function runConsumeScaleScenario(provider: Provider): Promise<ConsumeScaleResult> {
  await provider.kubectl(["apply", "-f", "-"], postgresBrokerManifest(provider, name, 1));
  expect((await settledAt(provider, name, 1, 90_000)).status?.membershipEpoch).toBe(1);
  // The first pod stays through 1 → 3 → 1: clients connect there and follow the cluster from it.
  const address = await provider.podAddress(`${name}-0`);
  const security = await clientOptionsFor(provider, name);
  await untilAccepted(address, security);

  const abort = new AbortController();
  const clients: HeraldClient[] = [];
  const client = () => {
    const created = new HeraldClient(address, { ...security, callTimeoutMs: 10_000 });
    clients.push(created);
    return created;
  };

  // Dead letters as they appear, each with the time it arrived.
  const deadAt = new Map<string, number>();
  let deadSubscribed!: () => void;
  const deadReady = new Promise<void>((resolve) => (deadSubscribed = resolve));
  const deadLetters = (async () => {
    for await (const message of client().subscribe(`$DLQ.${group}.>`, {
      resume: true,
      signal: abort.signal,
      onSubscribed: () => deadSubscribed(),
    }))
      deadAt.set(message.body.toString(), Date.now());
  })().catch(() => undefined);

  /** Per body: when each delivery of it reached a worker (every one is acked). */
  const deliveredAt = new Map<string, number[]>();
  const handled = new Set<string>();
  const deliveries: ConsumedMessage[] = [];
  const perWorker = Array.from({ length: workerCount }, () => 0);
  /** Joins per worker: the first, and again when the cluster grows (a lone broker ends its streams). */
  const joins = Array.from({ length: workerCount }, () => 0);
  const failures: unknown[] = [];
  const workers = perWorker.map((_, index) =>
    client()
      .consume(
        group,
        pattern,
        async (message) => {
          const body = message.body.toString();
          deliveries.push(message);
          deliveredAt.set(body, [...(deliveredAt.get(body) ?? []), Date.now()]);
          // A little work, so deliveries are in flight while subjects move.
          await sleep(2);
          handled.add(body);
          perWorker[index] = (perWorker[index] ?? 0) + 1;
        },
        {
          maxInFlight: 8,
          ackWaitMs: 5_000,
          maxDeliveries,
          signal: abort.signal,
          onJoined: () => (joins[index] = (joins[index] ?? 0) + 1),
        },
      )
      .catch((err: unknown) => void failures.push(err)),
  );
  await until("every worker joined and the dead letters subscribed", async () => {
    await deadReady;
    return joins.every((count) => count > 0);
  });

  // Publish load: about 200 messages a second over the subjects, each body unique.
  const acked: string[] = [];
  let failedPublishes = 0;
  let publishing = true;
  const publisher = client();
  const load = (async () => {
    for (let n = 0; publishing; n++) {
      const started = Date.now();
      const subject = subjects[n % subjects.length] ?? "";
      const body = `${subject}/${n}`;
      try {
        await publisher.publish(subject, body);
        acked.push(body);
      } catch {
        failedPublishes++; // not acknowledged: nothing is promised about it
      }
      const wait = 5 - (Date.now() - started);
      if (wait > 0) await sleep(wait);
    }
  })();

  let scaleUpMs: number;
  let scaleDownMs: number;
  try {
    await sleep(2_000);
    let started = Date.now();
    await provider.kubectl(["scale", `messagebroker/${name}`, "--replicas=3"]);
    expect((await settledAt(provider, name, 3, 90_000)).status?.membershipEpoch).toBe(2);
    scaleUpMs = Date.now() - started;
    await sleep(3_000);
    started = Date.now();
    await provider.kubectl(["scale", `messagebroker/${name}`, "--replicas=1"]);
    expect((await settledAt(provider, name, 1, 90_000)).status?.membershipEpoch).toBe(3);
    scaleDownMs = Date.now() - started;
    await sleep(2_000);
  } finally {
    publishing = false;
    await load;
  }

  const drained = Date.now();
  await until(
    "every acknowledged publish acked by a worker",
    () => acked.every((body) => handled.has(body) || deadAt.has(body)),
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  const drainMs = Date.now() - drained;
  // Settled at the broker as well: nothing pending, held or lagging on any subject.
  const [info] = await until(
    "the group settled at the broker",
    async () => {
      const groups = await publisher.listGroups(group);
      const open = groups[0]?.subjects.some(
        (subject) => subject.pending + subject.ackPending + subject.lag > 0,
      );
      return open === false && groups;
    },
    { timeoutMs: 15_000, intervalMs: 200 },
  );
  expect(info?.subjects.map((subject) => subject.subject).sort()).toEqual([...subjects].sort());

  // Every dead letter, read back: the live subscription may have missed some around a move.
  let deadLettered = 0;
  for (const subject of subjects) {
    for (let id = 1; ; id++) {
      const dead = await publisher.fetch(`$DLQ.${group}.${subject}`, id).catch(() => undefined);
      if (dead === undefined) break;
      deadLettered++;
      expect(deliveredAt.has(dead.body.toString())).toBe(true);
    }
  }
  abort.abort();
  await Promise.all(workers);
  await deadLetters;
  for (const created of clients) created.close();

  expect(failures).toEqual([]);
  expect(
    joins.every((count) => count >= 2),
    `joins per worker ${joins.join("/")}`,
  ).toBe(true);
  // At least once: every acknowledged publish was acked; none was delivered after its dead letter.
  for (const body of acked) expect(handled.has(body), `${body} acked by a worker`).toBe(true);
  for (const [body, at] of deadAt) {
    const late = (deliveredAt.get(body) ?? []).filter((time) => time > at);
    expect(late, `${body} delivered after it was dead-lettered`).toEqual([]);
  }
  expect(deliveries.every((message) => message.attempt <= maxDeliveries)).toBe(true);
  expect(new Set(deliveries.map(keyOf)).size).toBeGreaterThanOrEqual(acked.length);

  await provider.kubectl(["delete", "messagebroker", name, "--wait=true", "--timeout=60s"]);
  return {
    published: acked.length,
    failedPublishes,
    acks: perWorker.reduce((sum, count) => sum + count, 0),
    redeliveries: deliveries.filter((message) => message.attempt > 1).length,
    deadLettered,
    perWorker,
    joins,
    scaleUpMs,
    scaleDownMs,
    drainMs,
  };
}

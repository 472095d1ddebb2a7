/**
 * Consumer groups, written once for every GroupTarget: consume-and-ack throughput of a backlog
 * shared by 1, 4 and 16 members, and how long a message held by a member that disconnects takes
 * to reach another member.
 */
import type { GroupMember, GroupTarget, TargetClient } from "../targets/target.ts";
import { freshSubject } from "./scenarios.ts";

export interface GroupParams {
  readonly groupMembers: readonly number[];
  /** Messages published before the members join, then consumed by them. */
  readonly groupMessages: number;
  /** Unacknowledged messages each member may hold (prefetch, max_messages, max_in_flight). */
  readonly groupInFlight: number;
  readonly groupTimeoutMs: number;
  readonly redeliverySamples: number;
}

export interface ConsumePoint {
  readonly members: number;
  readonly messages: number;
  /** Distinct messages received before the timeout. */
  readonly consumed: number;
  /** Deliveries of a message already received (there should be none). */
  readonly redelivered: number;
  /** From the first delivery to the last. */
  readonly durationMs: number;
  readonly msgsPerSec: number;
  readonly complete: boolean;
}

export interface RedeliveryResult {
  readonly samples: number;
  readonly p50Ms: number;
  readonly maxMs: number;
  readonly valuesMs: number[];
}

const publishers = 16;
let groups = 0;
const freshGroup = (target: GroupTarget) =>
  `bench-${target.name.replace(/[^a-z0-9]/gi, "")}-${Date.now().toString(36)}-${groups++}`;

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
};

/** Publishes bodies 0..count-1 (each its index as a decimal string) over `publishers` clients. */
async function publishBacklog(target: GroupTarget, subject: string, count: number): Promise<void> {
  const clients: TargetClient[] = [];
  try {
    for (let i = 0; i < publishers; i++) clients.push(await target.connect());
    let next = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (next < count) await client.publish(subject, Buffer.from(String(next++)));
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

/**
 * `members` members join a group over a backlog of `groupMessages` messages and acknowledge each
 * as it arrives; a member's in-flight window refills only as its acks return, so the rate counts
 * acknowledged work. Bounded by the message count and `groupTimeoutMs`.
 */
export async function consumeThroughput(
  target: GroupTarget,
  members: number,
  params: GroupParams,
): Promise<ConsumePoint> {
  const subject = freshSubject(`group${target.name.replace(/[^a-z0-9]/gi, "")}`);
  const group = freshGroup(target);
  const messages = params.groupMessages;
  await target.createGroup(group, subject);
  try {
    await withTimeout(
      publishBacklog(target, subject, messages),
      params.groupTimeoutMs,
      "publishing the backlog",
    );
    const seen = new Uint8Array(messages);
    let consumed = 0;
    let redelivered = 0;
    let first = 0;
    let last = 0;
    let done = () => {};
    const allConsumed = new Promise<void>((resolve) => (done = resolve));
    const onMessage = (body: Uint8Array) => {
      last = performance.now();
      if (consumed === 0 && redelivered === 0) first = last;
      const index = Number(Buffer.from(body).toString());
      if (seen[index] === 1) redelivered++;
      else {
        seen[index] = 1;
        if (++consumed === messages) done();
      }
    };
    const joined: GroupMember[] = [];
    try {
      const joins = Array.from({ length: members }, () =>
        target.join(group, subject, onMessage, { maxInFlight: params.groupInFlight, ack: true }),
      );
      for (const join of joins) joined.push(await join);
      await withTimeout(allConsumed, params.groupTimeoutMs, "consuming").catch(() => undefined);
    } finally {
      await Promise.all(joined.map((member) => member.close()));
    }
    const durationMs = last - first;
    return {
      members,
      messages,
      consumed,
      redelivered,
      durationMs,
      msgsPerSec: durationMs > 0 ? ((consumed - 1) * 1000) / durationMs : NaN,
      complete: consumed === messages,
    };
  } finally {
    await target.deleteGroup(group, subject);
  }
}

/**
 * Member A takes a message and holds it; member B joins; A disconnects. The time from A's
 * disconnect to B's delivery, once per sample, each in a fresh group.
 */
export async function redeliveryLatency(
  target: GroupTarget,
  params: GroupParams,
): Promise<RedeliveryResult> {
  const valuesMs: number[] = [];
  const timeoutMs = params.groupTimeoutMs;
  for (let sample = 0; sample < params.redeliverySamples; sample++) {
    const subject = freshSubject(`redeliver${target.name.replace(/[^a-z0-9]/gi, "")}`);
    const group = freshGroup(target);
    await target.createGroup(group, subject);
    const members: GroupMember[] = [];
    try {
      let heldByA = () => {};
      const aHolds = new Promise<void>((resolve) => (heldByA = resolve));
      members.push(
        await target.join(group, subject, () => heldByA(), { maxInFlight: 1, ack: false }),
      );
      await publishOne(target, subject);
      await withTimeout(aHolds, timeoutMs, "first delivery");
      let receivedByB = (_at: number) => {};
      const bReceives = new Promise<number>((resolve) => (receivedByB = resolve));
      members.push(
        await target.join(group, subject, () => receivedByB(performance.now()), {
          maxInFlight: 1,
          ack: true,
        }),
      );
      const disconnected = performance.now();
      await members.shift()?.close();
      valuesMs.push((await withTimeout(bReceives, timeoutMs, "redelivery")) - disconnected);
    } finally {
      await Promise.all(members.map((member) => member.close()));
      await target.deleteGroup(group, subject);
    }
  }
  const sorted = [...valuesMs].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50Ms: sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN,
    maxMs: sorted.at(-1) ?? NaN,
    valuesMs,
  };
}

async function publishOne(target: GroupTarget, subject: string): Promise<void> {
  const client = await target.connect();
  try {
    await client.publish(subject, Buffer.from("0"));
  } finally {
    await client.close();
  }
}

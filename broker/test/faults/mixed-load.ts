/**
 * The load every fault case runs: unary `Publish` lanes (HeraldClient repeats a failed call with the
 * same idempotency key) and one pipelined `PublishStream` per broker, every message with its own key,
 * repeated with that key until acknowledged. What was acknowledged goes in the ledger.
 */
import { type ServiceError, status } from "@grpc/grpc-js";
import { setTimeout as sleep } from "node:timers/promises";
import {
  HeraldClient,
  type HeraldClientOptions,
  type StreamPublisher,
} from "../../client/herald-client.ts";

export interface AckedMessage {
  readonly subject: string;
  readonly id: number;
  readonly key: string;
  readonly body: string;
  /** When the acknowledgement arrived (performance.now()). */
  readonly ackedAt: number;
}

export interface MixedLoadOptions {
  /** Brokers the clients call, round robin. */
  readonly addresses: readonly string[];
  readonly subjects: readonly string[];
  /** Makes the keys of this load unique. */
  readonly keyPrefix: string;
  readonly unaryLanes?: number;
  /** Messages a stream lane keeps in flight. */
  readonly streamWindow?: number;
  /** No lane starts a message past this count. */
  readonly maxMessages?: number;
  /** A message not acknowledged within this long, repeats included, is given up. */
  readonly messageDeadlineMs?: number;
  /** TLS and a token, for a secure broker. */
  readonly clientOptions?: HeraldClientOptions;
}

export interface MixedLoad {
  readonly acked: readonly AckedMessage[];
  /** Failed calls, each repeated with its key; the codes a fault may cause. */
  readonly retriedCodes: ReadonlySet<string>;
  /** Messages given up after `messageDeadlineMs` (never acknowledged; they may be stored). */
  readonly abandoned: number;
  /** Every message of `maxMessages` was started: the load has ended. */
  readonly exhausted: boolean;
  /** Ms from `since` to the first acknowledgement after it, of `subjects` if given. */
  recoveryMs(since: number, subjects?: ReadonlySet<string>): number | undefined;
  stop(): Promise<void>;
}

/** A broker or the network failed the call: repeating it with its key is safe. */
const retryableCodes = new Set<number>([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
  status.CANCELLED,
]);

const streamSilenceMs = 10_000;

const codeOf = (err: unknown) => (err as Partial<ServiceError>).code ?? status.UNKNOWN;

export function startMixedLoad(options: MixedLoadOptions): MixedLoad {
  const { addresses, subjects, keyPrefix } = options;
  const maxMessages = options.maxMessages ?? 50_000;
  const deadlineMs = options.messageDeadlineMs ?? 40_000;
  const clients = addresses.map(
    (address) =>
      new HeraldClient(address, {
        ...options.clientOptions,
        callTimeoutMs: 3_000,
        publishAttempts: 3,
        resubscribeDelayMs: 50,
      }),
  );
  const acked: AckedMessage[] = [];
  const retriedCodes = new Set<string>();
  let abandoned = 0;
  let stopped = false;
  let next = 0;

  /** `lane` names the path in the key (u: unary, s: stream), for a failure message. */
  const message = (lane: "u" | "s") => {
    const n = next++;
    const key = `${keyPrefix}-${lane}${n}`;
    return { subject: subjects[n % subjects.length] ?? "", key, body: `${key}|body ${n}` };
  };
  const failed = (err: unknown) => {
    const code = codeOf(err);
    retriedCodes.add(status[code] ?? String(code));
    if (!retryableCodes.has(code)) throw err;
  };

  const unaryLane = async (lane: number) => {
    const client = clients[lane % clients.length] as HeraldClient;
    while (!stopped && next < maxMessages) {
      const { subject, key, body } = message("u");
      const giveUpAt = performance.now() + deadlineMs;
      for (;;) {
        try {
          const id = await client.publish(subject, body, { idempotencyKey: key });
          acked.push({ subject, id, key, body, ackedAt: performance.now() });
          break;
        } catch (err) {
          failed(err);
        }
        if (performance.now() > giveUpAt) {
          abandoned += 1;
          break;
        }
        await sleep(50);
      }
    }
  };

  const streamLane = async (client: HeraldClient) => {
    const window = options.streamWindow ?? 32;
    let publisher: StreamPublisher = client.publisher();
    while (!stopped && next < maxMessages) {
      let pending = Array.from({ length: window }, () => message("s"));
      const giveUpAt = performance.now() + deadlineMs;
      while (pending.length > 0) {
        const current = publisher;
        const outcomes = await Promise.race([
          Promise.allSettled(
            pending.map((m) => current.publish(m.subject, m.body, { idempotencyKey: m.key })),
          ),
          // A stream has no deadline: one that stays silent is given up and its messages repeated.
          sleep(streamSilenceMs, undefined),
        ]);
        if (outcomes === undefined) retriedCodes.add("no answer on the stream");
        const repeat: typeof pending = [];
        pending.forEach((sent, index) => {
          const outcome = outcomes?.[index];
          if (outcome?.status === "fulfilled") {
            acked.push({ ...sent, id: outcome.value, ackedAt: performance.now() });
            return;
          }
          if (outcome !== undefined) failed(outcome.reason);
          repeat.push(sent);
        });
        pending = repeat;
        if (pending.length === 0) break;
        if (performance.now() > giveUpAt) {
          abandoned += pending.length;
          break;
        }
        // The stream may have ended with the broker: repeat on a new one.
        publisher = client.publisher();
        void current.close().catch(() => undefined);
        await sleep(50);
      }
    }
    await publisher.close().catch(() => undefined);
  };

  const lanes = [
    ...Array.from({ length: options.unaryLanes ?? 8 }, (_, lane) => unaryLane(lane)),
    ...clients.map(streamLane),
  ];
  return {
    acked,
    retriedCodes,
    get abandoned() {
      return abandoned;
    },
    get exhausted() {
      return next >= maxMessages;
    },
    recoveryMs: (since, only) => {
      let first: number | undefined;
      for (const message of acked) {
        if (message.ackedAt < since || (only !== undefined && !only.has(message.subject))) continue;
        if (first === undefined || message.ackedAt < first) first = message.ackedAt;
      }
      return first === undefined ? undefined : Math.round(first - since);
    },
    stop: async () => {
      stopped = true;
      await Promise.all(lanes);
      for (const client of clients) client.close();
    },
  };
}

/**
 * A small typed client for the Herald broker. Subscriptions resume by id:
 * after a disconnect they resubscribe with start_id = last received id + 1,
 * so the consumer sees every message once, in order.
 *
 * With `routing`, the client sends each subject's calls straight to the subject's owner
 * (owner-routes.ts, broker/README.md#routing-clients); without it, every call goes to the
 * address given, and a cluster member forwards what it does not own.
 */
import {
  type ClientUnaryCall,
  Metadata,
  type MetadataOptions,
  type ServiceError,
  type StatusObject,
  status,
} from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { isPattern } from "../../contract/subjects.ts";
import {
  AckKind,
  type BrokerClient,
  type Delivery,
  type GroupInfo,
  type MessageResponse,
} from "../api/gen/broker.ts";
import { connectBroker, type TlsOptions } from "./channel.ts";
import { OwnerRoutes } from "./owner-routes.ts";
import { routedPublisher } from "./routed-publisher.ts";
import {
  openStream,
  type PublishOptions,
  serviceError,
  type StreamPublisher,
  toBuffer,
} from "./stream-publisher.ts";

export type { PublishOptions, StreamPublisher, TlsOptions };

export interface ReceivedMessage {
  readonly id: number;
  readonly body: Buffer;
  /** The message's subject (a pattern subscription receives many). */
  readonly subject: string;
}

/** A message delivered to a consumer group's member. */
export interface ConsumedMessage extends ReceivedMessage {
  /** 1 on the first delivery; higher when it is delivered again. */
  readonly attempt: number;
}

export interface ConsumeOptions {
  /** Deliveries this member holds unacknowledged at most; absent = the broker's default. */
  readonly maxInFlight?: number;
  /** Group settings, used when the group is created (absent = the broker's defaults). */
  readonly ackWaitMs?: number;
  readonly maxDeliveries?: number;
  /** Absent = messages published after the group is created; N = from id N of each subject. */
  readonly startId?: number;
  /** Called each time the member has joined its group (again, after a reconnect). */
  readonly onJoined?: () => void;
  /** Leaves the group: `consume` resolves. */
  readonly signal?: AbortSignal;
}

export interface SubscribeOptions {
  /** Replay stored messages from this id before going live; absent = live only. */
  readonly startId?: number;
  /**
   * Resubscribe after a retryable failure (UNAVAILABLE, RESOURCE_EXHAUSTED from a
   * buffer overflow, a dropped connection), continuing after the last id
   * received. Messages published before the first one received and during an
   * outage are only recovered when a message had been received or startId was set.
   */
  readonly resume?: boolean;
  /** Called each time the broker has registered the (re)subscription: later publishes reach it. */
  readonly onSubscribed?: () => void;
  /** Ends the subscription: the iteration finishes normally. */
  readonly signal?: AbortSignal;
}

export interface HeraldClientOptions {
  /** Deadline of each unary call. */
  readonly callTimeoutMs?: number;
  /** Pause before a subscription resubscribes; grpc-js backs off the reconnection itself. */
  readonly resubscribeDelayMs?: number;
  /** Connect with TLS (broker/README.md#security); absent = plaintext. */
  readonly tls?: TlsOptions;
  /** Sent on every call as `authorization: Bearer <token>`: an auth-file token or a JWT. */
  readonly token?: string;
  /**
   * Calls of `publish` and `publishBatch`, the first included, while they fail UNAVAILABLE or
   * DEADLINE_EXCEEDED (default 3): each repeat carries the same idempotency keys.
   */
  readonly publishAttempts?: number;
  /**
   * Send each subject's calls to its owner (broker/README.md#routing-clients): the client learns
   * the members from the address given (the seed) and keeps a channel to each. Their addresses
   * must be reachable from the client, and with TLS their certificates must name them
   * (`tls.serverName` applies to the seed only). Absent = every call goes to the seed.
   */
  readonly routing?: boolean | RoutingOptions;
}

export interface RoutingOptions {
  /** The membership is asked again this often (besides on a newer epoch or a failure); default 10 s. */
  readonly refreshIntervalMs?: number;
}

/** A publish that failed with these may or may not be stored: repeated with its keys, it is safe. */
const republishCodes = new Set<number>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);

const resumableCodes = new Set<number>([
  status.UNAVAILABLE,
  status.RESOURCE_EXHAUSTED,
  status.INTERNAL,
  status.UNKNOWN,
  status.DEADLINE_EXCEEDED,
]);

/** The membership is asked at most this often after failed calls. */
const minRefreshGapMs = 100;

export class HeraldClient {
  /** The channel to the address given: every call without routing, and those routing sends there. */
  readonly #client: BrokerClient;
  readonly #routes: OwnerRoutes | undefined;
  readonly #callTimeoutMs: number;
  readonly #resubscribeDelayMs: number;
  readonly #publishAttempts: number;
  readonly #authorization: string | undefined;

  constructor(address: string, options: HeraldClientOptions = {}) {
    const { tls, routing } = options;
    this.#authorization = options.token === undefined ? undefined : `Bearer ${options.token}`;
    this.#client = connectBroker(address, tls);
    this.#callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.#resubscribeDelayMs = options.resubscribeDelayMs ?? 200;
    this.#publishAttempts = options.publishAttempts ?? 3;
    this.#routes =
      routing === undefined || routing === false
        ? undefined
        : new OwnerRoutes({
            seed: this.#client,
            // A member's certificate names the member's own address.
            connect: (member) => connectBroker(member, tls, undefined),
            metadata: () => this.#metadata(),
            callTimeoutMs: this.#callTimeoutMs,
            refreshIntervalMs: (routing === true ? {} : routing).refreshIntervalMs ?? 10_000,
            minRefreshGapMs,
          });
  }

  /** Resolves with the message's id once it is durable on the broker. */
  publish(
    subject: string,
    body: Uint8Array | string,
    options: PublishOptions = {},
  ): Promise<number> {
    const request = {
      subject,
      body: toBuffer(body),
      expirationSeconds: options.ttlSeconds ?? 0,
      idempotencyKey: options.idempotencyKey ?? randomUUID(),
    };
    return this.#republishing(
      () => this.#channelFor(subject),
      (client) =>
        new Promise((resolve, reject) =>
          this.#observe(
            client.publish(request, this.#metadata(), this.#deadline(), (err, response) =>
              err ? reject(err) : resolve(response.id),
            ),
          ),
        ),
    );
  }

  /** Publishes several messages in one call: all are stored, or the call fails. */
  publishBatch(
    messages: readonly ({ subject: string; body: Uint8Array | string } & PublishOptions)[],
  ): Promise<number[]> {
    const request = {
      messages: messages.map((message) => ({
        subject: message.subject,
        body: toBuffer(message.body),
        expirationSeconds: message.ttlSeconds ?? 0,
        idempotencyKey: message.idempotencyKey ?? randomUUID(),
      })),
    };
    const subjects = messages.map((message) => message.subject);
    return this.#republishing(
      // Subjects of several owners go to the seed, which splits the batch per owner.
      () => this.#routes?.channelForAll(subjects) ?? this.#client,
      (client) =>
        new Promise((resolve, reject) =>
          this.#observe(
            client.publishBatch(request, this.#metadata(), this.#deadline(), (err, response) =>
              err ? reject(err) : resolve(response.ids),
            ),
          ),
        ),
    );
  }

  /**
   * Repeats `call` (same keys, so never stored twice) while it fails with a republish code; a
   * routing client asks for the membership again in between, and `pick` chooses the channel anew.
   */
  async #republishing<T>(
    pick: () => BrokerClient,
    call: (client: BrokerClient) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; attempt < this.#publishAttempts; attempt += 1) {
      const client = pick();
      try {
        return await call(client);
      } catch (err) {
        if (!republishCodes.has((err as ServiceError).code)) throw err;
        await this.#routes?.failed(client, err);
      }
      await new Promise((resolve) => setTimeout(resolve, this.#resubscribeDelayMs));
    }
    return call(pick());
  }

  /**
   * Opens a PublishStream: publishes are pipelined and acknowledged one by one, in order. A
   * routing client keeps one stream per member and sends each message on its owner's.
   */
  publisher(): StreamPublisher {
    const routes = this.#routes;
    if (routes === undefined) return openStream(this.#client, this.#metadata());
    return routedPublisher({
      channelFor: (subject) => routes.channelFor(subject),
      open: (channel) =>
        openStream(channel, this.#metadata(), {
          onHeaders: (metadata) => routes.observe(metadata),
          onError: (err) => void routes.failed(channel, err),
        }),
    });
  }

  /** A routing client repeats a fetch that failed UNAVAILABLE once, after asking for the membership. */
  async fetch(subject: string, id: number): Promise<ReceivedMessage> {
    const client = this.#channelFor(subject);
    try {
      return await this.#fetchFrom(client, subject, id);
    } catch (err) {
      const routes = this.#routes;
      if (routes === undefined || (err as ServiceError).code !== status.UNAVAILABLE) throw err;
      await routes.failed(client, err);
      return this.#fetchFrom(this.#channelFor(subject), subject, id);
    }
  }

  #fetchFrom(client: BrokerClient, subject: string, id: number): Promise<ReceivedMessage> {
    return new Promise((resolve, reject) =>
      this.#observe(
        client.fetch({ subject, id }, this.#metadata(), this.#deadline(), (err, response) =>
          err ? reject(err) : resolve(received(response)),
        ),
      ),
    );
  }

  /**
   * Messages of the subject, in id order, until aborted, the iteration stops, or a non-resumable
   * error. A routing client subscribes at the subject's owner (a pattern, which spans owners, at
   * the seed); a subscription stays where it is until it fails, and resumes at the owner then.
   */
  async *subscribe(
    subject: string,
    options: SubscribeOptions = {},
  ): AsyncGenerator<ReceivedMessage> {
    const { signal } = options;
    const aborted = () => signal?.aborted === true;
    let startId = options.startId ?? 0;
    while (!aborted()) {
      const client = isPattern(subject) ? this.#client : this.#channelFor(subject);
      const call = client.subscribe(
        { subject, startId },
        // Waiting for a member that may be gone would never end: only the seed is waited for.
        this.#metadata({ waitForReady: options.resume === true && client === this.#client }),
      );
      const cancel = () => call.cancel();
      signal?.addEventListener("abort", cancel, { once: true });
      call.once("metadata", (metadata: Metadata) => {
        this.#routes?.observe(metadata);
        options.onSubscribed?.();
      });
      try {
        for await (const message of call as AsyncIterable<MessageResponse>) {
          // A pattern subscription is live only: it resumes from the next live message.
          if (!isPattern(subject)) startId = message.id + 1;
          yield received(message);
        }
        return;
      } catch (err) {
        if (aborted()) return;
        if (options.resume !== true || !resumableCodes.has((err as ServiceError).code)) throw err;
        await this.#routes?.failed(client, err);
        await new Promise((resolve) => setTimeout(resolve, this.#resubscribeDelayMs));
      } finally {
        signal?.removeEventListener("abort", cancel);
        call.cancel();
      }
    }
  }

  /**
   * Joins `group` on a subject or pattern and runs `handler` for each delivery,
   * several at once up to maxInFlight: a handler that resolves acknowledges the
   * message, one that throws asks for it again (NAK). After a retryable failure
   * the member joins again; what it held is redelivered. Resolves when aborted.
   */
  async consume(
    group: string,
    subject: string,
    handler: (message: ConsumedMessage) => Promise<void> | void,
    options: ConsumeOptions = {},
  ): Promise<void> {
    const aborted = () => options.signal?.aborted === true;
    while (!aborted()) {
      try {
        await this.#consumeOnce(group, subject, handler, options);
      } catch (err) {
        if (aborted()) return;
        if (!resumableCodes.has((err as ServiceError).code)) throw err;
      }
      if (!aborted()) await new Promise((resolve) => setTimeout(resolve, this.#resubscribeDelayMs));
    }
  }

  /**
   * The consumer groups the caller may consume (or only `group`), with their settings and, per
   * subject, pending, ack-pending and lag; on a cluster, merged from every member.
   */
  listGroups(group = ""): Promise<GroupInfo[]> {
    return new Promise((resolve, reject) =>
      this.#client.listGroups({ group }, this.#metadata(), this.#deadline(), (err, response) =>
        err ? reject(err) : resolve(response.groups),
      ),
    );
  }

  /**
   * The epoch a routing client routes by, once the membership it is asking for (if any) has
   * answered: -1 while it has none (every call goes to the seed), and for a client without routing.
   */
  async routingEpoch(): Promise<number> {
    const routes = this.#routes;
    if (routes === undefined) return -1;
    await routes.settled();
    return routes.epoch;
  }

  close(): void {
    this.#routes?.close();
    this.#client.close();
  }

  /** One Consume stream, until it ends (rejects with its error) or the signal aborts it. */
  #consumeOnce(
    group: string,
    subject: string,
    handler: (message: ConsumedMessage) => Promise<void> | void,
    options: ConsumeOptions,
  ): Promise<void> {
    const { signal } = options;
    return new Promise<void>((resolve, reject) => {
      const call = this.#client.consume(this.#metadata({ waitForReady: true }));
      let done = false;
      const cancel = () => call.cancel();
      const settle = (err?: ServiceError) => {
        if (done) return;
        done = true;
        signal?.removeEventListener("abort", cancel);
        if (err === undefined || signal?.aborted === true) resolve();
        else reject(err);
      };
      signal?.addEventListener("abort", cancel, { once: true });
      call.once("metadata", () => options.onJoined?.());
      call.on("data", (delivery: Delivery) => {
        const ack = (kind: AckKind) => {
          if (done) return;
          const { subject: acked, id, attempt } = delivery;
          call.write({ ack: { subject: acked, id, attempt, kind } });
        };
        Promise.resolve()
          .then(() => handler({ ...received(delivery), attempt: delivery.attempt }))
          .then(
            () => ack(AckKind.ACK),
            () => ack(AckKind.NAK),
          );
      });
      call.on("error", (err: ServiceError) => settle(err));
      call.on("end", () =>
        settle(
          signal?.aborted === true
            ? undefined
            : serviceError(status.UNAVAILABLE, "consume stream ended"),
        ),
      );
      call.write({
        start: {
          group,
          subject,
          maxInFlight: options.maxInFlight ?? 0,
          ackWaitMs: options.ackWaitMs ?? 0,
          maxDeliveries: options.maxDeliveries ?? 0,
          startId: options.startId ?? 0,
        },
      });
    });
  }

  /** The channel for a call on `subject`: its owner's when routing, else the seed's. */
  #channelFor(subject: string): BrokerClient {
    return this.#routes?.channelFor(subject) ?? this.#client;
  }

  /** A routing client reads the epoch that a unary answer's trailers name. */
  #observe(call: ClientUnaryCall): void {
    const routes = this.#routes;
    if (routes !== undefined)
      call.on("status", (result: StatusObject) => routes.observe(result.metadata));
  }

  /** Call metadata with the bearer token, if any. */
  #metadata(options?: MetadataOptions): Metadata {
    const metadata = new Metadata(options);
    if (this.#authorization !== undefined) metadata.set("authorization", this.#authorization);
    return metadata;
  }

  #deadline() {
    return { deadline: Date.now() + this.#callTimeoutMs };
  }
}

const received = (message: MessageResponse | Delivery): ReceivedMessage => ({
  id: message.id,
  body: message.body,
  subject: message.subject,
});

/**
 * A small typed client for the Herald broker. Subscriptions resume by id:
 * after a disconnect they resubscribe with start_id = last received id + 1,
 * so the consumer sees every message once, in order.
 */
import {
  credentials,
  Metadata,
  type MetadataOptions,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { isPattern } from "../../contract/subjects.ts";
import {
  AckKind,
  BrokerClient,
  type Delivery,
  type GroupInfo,
  type MessageResponse,
  type PublishStreamResponse,
} from "../api/gen/broker.ts";

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

export interface PublishOptions {
  /** Seconds until the message expires; 0 or absent = never. */
  readonly ttlSeconds?: number;
  /**
   * A repeat within the broker's duplicate window answers the first id and stores nothing
   * (broker/README.md#idempotent-publish). `publish` and `publishBatch` make one up when absent.
   */
  readonly idempotencyKey?: string;
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

/** Publishes over one PublishStream, many in flight; made by `HeraldClient.publisher()`. */
export interface StreamPublisher {
  /**
   * Resolves with the message's id once it is durable; rejects with the
   * ServiceError Publish would have failed with, or the stream's own error if
   * the stream ends first. Messages of one subject get ids in call order.
   */
  publish(subject: string, body: Uint8Array | string, options?: PublishOptions): Promise<number>;
  /** Sends no more and resolves once every publish so far is answered and the stream ended. */
  close(): Promise<void>;
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
}

export interface TlsOptions {
  /** PEM CA the broker's certificate must chain to; absent = the system's roots. */
  readonly ca?: Buffer;
  /** PEM client certificate and key, for a broker that requires one (mTLS). */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /**
   * The name the broker's certificate must carry, when the address does not say it: a pod IP or
   * a port-forward to a broker whose certificate names its Service.
   */
  readonly serverName?: string | undefined;
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

export class HeraldClient {
  readonly #client: BrokerClient;
  readonly #callTimeoutMs: number;
  readonly #resubscribeDelayMs: number;
  readonly #publishAttempts: number;
  readonly #authorization: string | undefined;

  constructor(address: string, options: HeraldClientOptions = {}) {
    const { tls } = options;
    const channelCredentials =
      tls === undefined
        ? credentials.createInsecure()
        : credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
    this.#authorization = options.token === undefined ? undefined : `Bearer ${options.token}`;
    this.#client = new BrokerClient(address, channelCredentials, {
      ...(tls?.serverName === undefined
        ? {}
        : {
            "grpc.ssl_target_name_override": tls.serverName,
            "grpc.default_authority": tls.serverName,
          }),
      "grpc.enable_channelz": 0,
      "grpc.max_receive_message_length": -1,
      "grpc.max_send_message_length": -1,
    });
    this.#callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.#resubscribeDelayMs = options.resubscribeDelayMs ?? 200;
    this.#publishAttempts = options.publishAttempts ?? 3;
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
      () =>
        new Promise((resolve, reject) =>
          this.#client.publish(request, this.#metadata(), this.#deadline(), (err, response) =>
            err ? reject(err) : resolve(response.id),
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
    return this.#republishing(
      () =>
        new Promise((resolve, reject) =>
          this.#client.publishBatch(request, this.#metadata(), this.#deadline(), (err, response) =>
            err ? reject(err) : resolve(response.ids),
          ),
        ),
    );
  }

  /** Repeats `call` (same keys, so never stored twice) while it fails with a republish code. */
  async #republishing<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; attempt < this.#publishAttempts; attempt += 1) {
      try {
        return await call();
      } catch (err) {
        if (!republishCodes.has((err as ServiceError).code)) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, this.#resubscribeDelayMs));
    }
    return call();
  }

  /** Opens a PublishStream: publishes are pipelined and acknowledged one by one, in order. */
  publisher(): StreamPublisher {
    const call = this.#client.publishStream(this.#metadata());
    const pending = new Map<
      number,
      { resolve: (id: number) => void; reject: (err: Error) => void }
    >();
    let sequence = 0;
    let ended: Error | undefined;
    let markClosed = () => {};
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const end = (err: Error) => {
      ended ??= err;
      for (const waiter of pending.values()) waiter.reject(ended);
      pending.clear();
      markClosed();
    };
    call.on("data", (response: PublishStreamResponse) => {
      const waiter = pending.get(response.sequence);
      if (waiter === undefined) return;
      pending.delete(response.sequence);
      if (response.error === undefined) waiter.resolve(response.id);
      else waiter.reject(serviceError(response.error.code, response.error.message));
    });
    call.on("error", (err: ServiceError) => end(err));
    call.on("status", () => end(serviceError(status.UNAVAILABLE, "publish stream ended")));
    return {
      publish: (subject, body, options = {}) => {
        if (ended !== undefined) return Promise.reject(ended);
        sequence += 1;
        const message = {
          subject,
          body: toBuffer(body),
          expirationSeconds: options.ttlSeconds ?? 0,
          idempotencyKey: options.idempotencyKey ?? "",
        };
        const answered = new Promise<number>((resolve, reject) =>
          pending.set(sequence, { resolve, reject }),
        );
        // grpc-js buffers what the connection cannot take yet; the caller bounds what is in flight.
        call.write({ sequence, message });
        return answered;
      },
      close: () => {
        call.end();
        return closed;
      },
    };
  }

  fetch(subject: string, id: number): Promise<ReceivedMessage> {
    return new Promise((resolve, reject) =>
      this.#client.fetch({ subject, id }, this.#metadata(), this.#deadline(), (err, response) =>
        err ? reject(err) : resolve(received(response)),
      ),
    );
  }

  /** Messages of the subject, in id order, until aborted, the iteration stops, or a non-resumable error. */
  async *subscribe(
    subject: string,
    options: SubscribeOptions = {},
  ): AsyncGenerator<ReceivedMessage> {
    const { signal } = options;
    const aborted = () => signal?.aborted === true;
    let startId = options.startId ?? 0;
    while (!aborted()) {
      const call = this.#client.subscribe(
        { subject, startId },
        this.#metadata({ waitForReady: options.resume === true }),
      );
      const cancel = () => call.cancel();
      signal?.addEventListener("abort", cancel, { once: true });
      call.once("metadata", () => options.onSubscribed?.());
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

  close(): void {
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

/** An error shaped like the ServiceError of a failed unary call. */
const serviceError = (code: status, details: string): ServiceError =>
  Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });

const toBuffer = (body: Uint8Array | string) =>
  typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);

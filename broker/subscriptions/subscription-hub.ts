/**
 * Live subscribers by subject. The publish path hands every durable batch to
 * `deliver` in id order; each subscriber of the record's subject gets it,
 * and no other subject's subscribers see it.
 */
import { encodeMessageResponse } from "../api/wire.ts";
import type { MessageRecord } from "../store/message-store.ts";
import { type MessageSink, Subscriber } from "./subscriber.ts";

export interface SubscriptionHubOptions {
  readonly bufferSize: number;
  readonly onOverflow: () => void;
  readonly onCountChange: (subscribers: number) => void;
  /** The subject's last subscriber has gone (a cluster relay for it can close). */
  readonly onSubjectIdle?: (subject: string) => void;
}

export class SubscriptionHub {
  readonly #options: SubscriptionHubOptions;
  readonly #bySubject = new Map<string, Set<Subscriber>>();
  #count = 0;

  constructor(options: SubscriptionHubOptions) {
    this.#options = options;
  }

  /**
   * Registers a subscriber; it receives every message delivered from now on.
   * With a start id, the caller runs `catchUp` to replay what came before.
   */
  subscribe(subject: string, sink: MessageSink, startId = 0): Subscriber {
    let subscribers = this.#bySubject.get(subject);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.#bySubject.set(subject, subscribers);
    }
    const subscriber = new Subscriber({
      subject,
      sink,
      startId,
      bufferSize: this.#options.bufferSize,
      onOverflow: this.#options.onOverflow,
      onClose: () => this.#remove(subscriber),
    });
    subscribers.add(subscriber);
    this.#setCount(this.#count + 1);
    return subscriber;
  }

  deliver(records: readonly MessageRecord[]): void {
    for (const record of records) {
      const subscribers = this.#bySubject.get(record.subject);
      if (subscribers === undefined) continue;
      const message = { id: record.id, frame: encodeMessageResponse(record.id, record.body) };
      for (const subscriber of subscribers) subscriber.offer(message);
    }
  }

  /** Ends every subscription with `err` (shutdown). */
  closeAll(err: Error): void {
    for (const subscribers of [...this.#bySubject.values()]) {
      for (const subscriber of [...subscribers]) subscriber.close(err);
    }
  }

  /** Whether the subject has live subscribers here. */
  has(subject: string): boolean {
    return this.#bySubject.has(subject);
  }

  /** Subjects with live subscribers here. */
  subjects(): string[] {
    return [...this.#bySubject.keys()];
  }

  get count(): number {
    return this.#count;
  }

  #remove(subscriber: Subscriber): void {
    const subscribers = this.#bySubject.get(subscriber.subject);
    if (!subscribers?.delete(subscriber)) return;
    this.#setCount(this.#count - 1);
    if (subscribers.size > 0) return;
    this.#bySubject.delete(subscriber.subject);
    this.#options.onSubjectIdle?.(subscriber.subject);
  }

  #setCount(count: number): void {
    this.#count = count;
    this.#options.onCountChange(count);
  }
}

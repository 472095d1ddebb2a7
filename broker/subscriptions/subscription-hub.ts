/**
 * Live subscribers by subject. The publish path hands every durable batch to
 * `deliver` in id order; each subscriber of the record's subject gets it, and
 * each subscriber of a pattern that matches it (broker/README.md#subjects); no
 * other subscriber sees it.
 */
import { compilePattern, isPattern } from "../../contract/subjects.ts";
import { encodeMessageResponse } from "../api/wire.ts";
import type { MessageRecord } from "../store/message-store.ts";
import { type MessageSink, type OutgoingMessage, Subscriber } from "./subscriber.ts";

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
  /** Pattern subscribers with their compiled matchers. */
  readonly #byPattern = new Map<Subscriber, (subject: string) => boolean>();
  #count = 0;

  constructor(options: SubscriptionHubOptions) {
    this.#options = options;
  }

  /**
   * Registers a subscriber; it receives every message delivered from now on.
   * With a start id, the caller runs `catchUp` to replay what came before.
   */
  subscribe(subject: string, sink: MessageSink, startId = 0): Subscriber {
    if (isPattern(subject)) return this.#subscribePattern(subject, sink);
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

  /**
   * `relayed`: records of subjects another member owns, relayed for this member's subscribers of
   * those subjects. Pattern subscribers skip them: on a cluster each member's pattern subscribers
   * get the subjects it owns, and the member a client called merges them (cluster/pattern-relay.ts).
   */
  deliver(records: readonly MessageRecord[], relayed = false): void {
    for (const record of records) {
      const subscribers = this.#bySubject.get(record.subject);
      let message: OutgoingMessage | undefined;
      const encoded = () =>
        (message ??= {
          id: record.id,
          frame: encodeMessageResponse(record.subject, record.id, record.body),
        });
      for (const subscriber of subscribers ?? []) subscriber.offer(encoded());
      if (relayed) continue;
      for (const [subscriber, matches] of this.#byPattern) {
        if (matches(record.subject)) subscriber.offer(encoded());
      }
    }
  }

  /** Ends every subscription with `err` (shutdown). */
  closeAll(err: Error): void {
    for (const subscribers of [...this.#bySubject.values()]) {
      for (const subscriber of [...subscribers]) subscriber.close(err);
    }
    for (const subscriber of [...this.#byPattern.keys()]) subscriber.close(err);
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

  /** A live-only subscriber of every subject the pattern matches. */
  #subscribePattern(pattern: string, sink: MessageSink): Subscriber {
    const subscriber = new Subscriber({
      subject: pattern,
      sink,
      startId: 0,
      pattern: true,
      bufferSize: this.#options.bufferSize,
      onOverflow: this.#options.onOverflow,
      onClose: () => {
        if (this.#byPattern.delete(subscriber)) this.#setCount(this.#count - 1);
      },
    });
    this.#byPattern.set(subscriber, compilePattern(pattern));
    this.#setCount(this.#count + 1);
    return subscriber;
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

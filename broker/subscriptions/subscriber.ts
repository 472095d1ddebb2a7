/**
 * One Subscribe stream. Live messages are queued in a bounded buffer and
 * written as fast as the transport accepts them (honouring write() = false
 * and 'drain'); a subscriber that falls `bufferSize` messages behind is ended
 * with SubscriberOverflowError so that it never holds back publishers or grows
 * memory without bound.
 *
 * With a start id, `catchUp` first replays stored messages page by page while
 * live messages collect aside; then it switches to live, skipping ids already
 * sent. Every live message is durable before it is offered, so when the aside
 * buffer overflows during replay it is dropped and replay simply reads further.
 */
import { SubscriberOverflowError } from "../errors.ts";

/** A message on its way to subscribers: its id (order, dedupe) and its MessageResponse, encoded once. */
export interface OutgoingMessage {
  readonly id: number;
  readonly frame: Buffer;
}

/** Where a subscriber's messages go: the gRPC stream, or a test double. */
export interface MessageSink {
  /** false = the transport's buffer is full; wait for `onceDrain` before writing more. */
  write(message: OutgoingMessage): boolean;
  onceDrain(listener: () => void): void;
  /** Ends the stream with the status for `err`. */
  fail(err: Error): void;
}

export interface SubscriberOptions {
  readonly subject: string;
  readonly bufferSize: number;
  readonly sink: MessageSink;
  /** 0 = live only; otherwise messages from this id on, replayed by `catchUp` before live ones. */
  readonly startId: number;
  /** A pattern's subscriber gets many subjects, whose ids are unrelated: it skips no id as a duplicate. */
  readonly pattern?: boolean;
  readonly onOverflow: () => void;
  readonly onClose: () => void;
}

/** Reads stored messages of the subject with id >= fromId, ascending. */
export type ReadPage = (fromId: number, limit: number) => Promise<OutgoingMessage[]>;

export class Subscriber {
  readonly subject: string;
  readonly #options: SubscriberOptions;
  #queue: OutgoingMessage[] = [];
  /** Highest id queued or written; anything at or below it is a duplicate. */
  #lastQueuedId = 0;
  #lastWrittenId = 0;
  #waitingForDrain = false;
  #wakeReplay: (() => void) | undefined;
  #catchingUp: boolean;
  #aside: OutgoingMessage[] = [];
  #droppedAside = false;
  #closed = false;

  constructor(options: SubscriberOptions) {
    this.subject = options.subject;
    this.#options = options;
    this.#catchingUp = options.startId > 0;
    this.#lastQueuedId = Math.max(0, options.startId - 1);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A live message, durable, offered in id order. Never blocks. */
  offer(message: OutgoingMessage): void {
    if (this.#closed) return;
    if (!this.#catchingUp) {
      this.#enqueue(message);
    } else if (this.#aside.length < this.#options.bufferSize) {
      this.#aside.push(message);
    } else {
      this.#aside = [];
      this.#droppedAside = true;
    }
  }

  /** Replays stored messages from the start id, then continues live with no gap and no duplicate. */
  async catchUp(readPage: ReadPage, pageSize: number): Promise<void> {
    let cursor = this.#options.startId;
    for (;;) {
      const page = await readPage(cursor, pageSize);
      for (const message of page) {
        if (this.#closed) return;
        if (message.id > this.#lastQueuedId) await this.#writeReplayed(message);
      }
      if (this.#closed) return;
      const last = page.at(-1);
      if (last !== undefined) cursor = last.id + 1;
      if (page.length === pageSize) continue;
      if (!this.#droppedAside) break;
      this.#droppedAside = false;
    }
    this.#catchingUp = false;
    for (const message of this.#aside.splice(0)) this.#enqueue(message);
  }

  /** Ends the subscription; with an error, the client sees its status. */
  close(err?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#aside = [];
    this.#wakeReplay?.();
    this.#options.onClose();
    if (err !== undefined) this.#options.sink.fail(err);
  }

  #enqueue(message: OutgoingMessage): void {
    if (this.#options.pattern !== true && message.id <= this.#lastQueuedId) return;
    if (this.#queue.length >= this.#options.bufferSize) {
      this.#options.onOverflow();
      this.close(new SubscriberOverflowError(this.#options.bufferSize, this.#lastWrittenId));
      return;
    }
    this.#queue.push(message);
    this.#lastQueuedId = message.id;
    this.#pump();
  }

  #pump(): void {
    while (!this.#waitingForDrain && !this.#closed) {
      const message = this.#queue.shift();
      if (message === undefined) return;
      this.#lastWrittenId = message.id;
      if (!this.#options.sink.write(message)) {
        this.#waitingForDrain = true;
        this.#options.sink.onceDrain(() => {
          this.#waitingForDrain = false;
          this.#pump();
        });
      }
    }
  }

  async #writeReplayed(message: OutgoingMessage): Promise<void> {
    this.#lastQueuedId = message.id;
    this.#lastWrittenId = message.id;
    if (this.#options.sink.write(message)) return;
    await new Promise<void>((resolve) => {
      this.#wakeReplay = resolve;
      this.#options.sink.onceDrain(resolve);
    });
    this.#wakeReplay = undefined;
  }
}

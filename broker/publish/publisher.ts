/**
 * The publish path: assign ids, group-commit to the store, then fan out.
 * Ids are assigned and the write enqueued in one synchronous step, and the
 * batcher keeps one write in flight, so records become durable — and reach
 * subscribers — in id order. A publish is acknowledged only after its batch
 * is durable; fan-out happens before the acknowledgement.
 */
import { type BatchReport, GroupCommitBatcher } from "../batch/group-commit.ts";
import type { SubjectSequencer } from "../sequencer/subject-sequencer.ts";
import { activeSpanContext, traceFlush, tracingEnabled } from "../telemetry/tracing.ts";
import type { MessageRecord, MessageStore } from "../store/message-store.ts";
import type { SpanContext } from "@opentelemetry/api";

export interface PublishInput {
  readonly subject: string;
  readonly body: Uint8Array;
  /** 0 = never expires. */
  readonly expirationSeconds: number;
}

export interface PublisherOptions {
  readonly store: Pick<MessageStore, "appendBatch">;
  readonly sequencer: SubjectSequencer;
  readonly batch: { readonly maxSize: number; readonly maxDelayMs: number };
  /**
   * Receives every durable batch, in id order; traced, with each record's publish span (by
   * index), which consumer groups link their deliveries to.
   */
  readonly onDurable: (
    records: readonly MessageRecord[],
    publishSpans?: readonly (SpanContext | undefined)[],
  ) => void;
  readonly onBatch?: (report: BatchReport) => void;
  /**
   * Checked synchronously right before ids are assigned; throws to refuse the
   * subject (the cluster's owner gate, so a publish racing an epoch change
   * cannot take an id after the subject was handed off).
   */
  readonly admit?: (subject: string) => void;
}

/** One publish call's records, and (traced) its span, which the flush span links to. */
interface PublishGroup {
  readonly records: readonly MessageRecord[];
  readonly span: SpanContext | undefined;
}

export class Publisher {
  readonly #sequencer: SubjectSequencer;
  readonly #batcher: GroupCommitBatcher<PublishGroup>;
  readonly #admit: (subject: string) => void;
  readonly #traced = tracingEnabled();

  constructor(options: PublisherOptions) {
    this.#sequencer = options.sequencer;
    this.#admit = options.admit ?? (() => undefined);
    const write = async (groups: readonly PublishGroup[]) => {
      const records = groups.flatMap((group) => group.records);
      await options.store.appendBatch(records);
      options.onDurable(
        records,
        this.#traced ? groups.flatMap((group) => group.records.map(() => group.span)) : undefined,
      );
    };
    this.#batcher = new GroupCommitBatcher<PublishGroup>({
      ...options.batch,
      weight: (group) => group.records.length,
      onBatch: options.onBatch,
      write: this.#traced ? (groups) => tracedWrite(groups, write) : write,
    });
  }

  /** Messages waiting for the next group commit (the pending batch depth). */
  get pendingMessages(): number {
    return this.#batcher.queuedWeight;
  }

  /** Stores `inputs` in one group commit (all or nothing) and returns their ids in input order. */
  async publish(inputs: readonly PublishInput[]): Promise<number[]> {
    const subjects = new Set(inputs.map((input) => input.subject));
    // A subject released while it loaded (its ownership moved away and back) loads again.
    do {
      await Promise.all([...subjects].map((subject) => this.#sequencer.ensureLoaded(subject)));
      for (const subject of subjects) this.#admit(subject);
    } while (![...subjects].every((subject) => this.#sequencer.loaded(subject)));
    const nowMs = Date.now();
    const records = inputs.map((input): MessageRecord => ({
      subject: input.subject,
      id: this.#sequencer.assign(input.subject, 1),
      body: input.body,
      expiresAtMs: input.expirationSeconds > 0 ? nowMs + input.expirationSeconds * 1000 : null,
    }));
    await this.#batcher.submit({
      records,
      span: this.#traced ? activeSpanContext() : undefined,
    });
    return records.map((record) => record.id);
  }

  /** Resolves once every publish accepted so far has been written (or failed). */
  flush(): Promise<void> {
    return this.#batcher.flush();
  }
}

/** A store write in a flush span linked to the span of every publish it carries. */
function tracedWrite(
  groups: readonly PublishGroup[],
  write: (groups: readonly PublishGroup[]) => Promise<void>,
): Promise<void> {
  const links = groups.flatMap((group) =>
    group.span === undefined ? [] : [{ context: group.span }],
  );
  const messages = groups.reduce((sum, group) => sum + group.records.length, 0);
  return traceFlush(links, { "herald.batch.messages": messages }, () => write(groups));
}

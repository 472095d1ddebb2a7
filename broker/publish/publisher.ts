/**
 * The publish path: assign ids, group-commit to the store, then fan out.
 * Ids are assigned and the write enqueued in one synchronous step, and the
 * batcher keeps one write in flight, so records become durable — and reach
 * subscribers — in id order. A publish is acknowledged only after its batch
 * is durable; fan-out happens before the acknowledgement.
 */
import { type BatchReport, GroupCommitBatcher } from "../batch/group-commit.ts";
import type { SubjectSequencer } from "../sequencer/subject-sequencer.ts";
import type { MessageRecord, MessageStore } from "../store/message-store.ts";

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
  /** Receives every durable batch, in id order. */
  readonly onDurable: (records: readonly MessageRecord[]) => void;
  readonly onBatch?: (report: BatchReport) => void;
  /**
   * Checked synchronously right before ids are assigned; throws to refuse the
   * subject (the cluster's owner gate, so a publish racing an epoch change
   * cannot take an id after the subject was handed off).
   */
  readonly admit?: (subject: string) => void;
}

export class Publisher {
  readonly #sequencer: SubjectSequencer;
  readonly #batcher: GroupCommitBatcher<readonly MessageRecord[]>;
  readonly #admit: (subject: string) => void;

  constructor(options: PublisherOptions) {
    this.#sequencer = options.sequencer;
    this.#admit = options.admit ?? (() => undefined);
    this.#batcher = new GroupCommitBatcher<readonly MessageRecord[]>({
      ...options.batch,
      weight: (group) => group.length,
      onBatch: options.onBatch,
      write: async (groups) => {
        const records = groups.flat();
        await options.store.appendBatch(records);
        options.onDurable(records);
      },
    });
  }

  /** Stores `inputs` in one group commit (all or nothing) and returns their ids in input order. */
  async publish(inputs: readonly PublishInput[]): Promise<number[]> {
    const subjects = new Set(inputs.map((input) => input.subject));
    await Promise.all([...subjects].map((subject) => this.#sequencer.ensureLoaded(subject)));
    for (const subject of subjects) this.#admit(subject);
    const nowMs = Date.now();
    const records = inputs.map((input): MessageRecord => ({
      subject: input.subject,
      id: this.#sequencer.assign(input.subject, 1),
      body: input.body,
      expiresAtMs: input.expirationSeconds > 0 ? nowMs + input.expirationSeconds * 1000 : null,
    }));
    await this.#batcher.submit(records);
    return records.map((record) => record.id);
  }

  /** Resolves once every publish accepted so far has been written (or failed). */
  flush(): Promise<void> {
    return this.#batcher.flush();
  }
}

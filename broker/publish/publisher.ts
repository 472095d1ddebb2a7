/**
 * The publish path: assign ids, group-commit to the store, then fan out.
 * Ids are assigned and the write enqueued in one synchronous step, and the
 * batcher keeps one write in flight, so records become durable — and reach
 * subscribers — in id order. A publish is acknowledged only after its batch
 * is durable; fan-out happens before the acknowledgement.
 *
 * A publish with an idempotency key whose `(subject, key)` is stored within
 * the duplicate window, or still being written, answers the first id and
 * stores nothing (broker/README.md#idempotent-publish).
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
  /** Empty or absent = no deduplication. */
  readonly idempotencyKey?: string;
}

export interface PublisherOptions {
  readonly store: Pick<MessageStore, "appendBatch" | "idempotentId">;
  /** How long a stored idempotency key answers duplicates. */
  readonly dedupWindowMs: number;
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
  readonly #store: Pick<MessageStore, "idempotentId">;
  readonly #dedupWindowMs: number;
  /** Keyed publishes not yet durable, by dedupSlot: a duplicate waits for the first's id. */
  readonly #inFlight = new Map<string, Promise<number>>();
  /**
   * Per subject, the latest call still before its id assignment that later calls must follow: a
   * keyed call's store lookup must not let a later publish of the subject take a lower id.
   */
  readonly #turns = new Map<string, Promise<void>>();

  constructor(options: PublisherOptions) {
    this.#sequencer = options.sequencer;
    this.#store = options.store;
    this.#dedupWindowMs = options.dedupWindowMs;
    this.#admit = options.admit ?? (() => undefined);
    const write = (groups: readonly PublishGroup[]) => {
      // An idle broker writes each publish alone: its records as they are, not copied.
      const [first] = groups;
      const records =
        groups.length === 1 && first !== undefined
          ? first.records
          : groups.flatMap((group) => group.records);
      return options.store
        .appendBatch(records)
        .then(() =>
          options.onDurable(
            records,
            this.#traced
              ? groups.flatMap((group) => group.records.map(() => group.span))
              : undefined,
          ),
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

  /**
   * Stores `inputs` in one group commit (all or nothing) and returns their ids in input order;
   * a duplicate (by idempotency key) gets the first publish's id and stores nothing.
   */
  publish(inputs: readonly PublishInput[]): Promise<number[]> {
    const [input] = inputs;
    // The common call, one unkeyed message on a subject that is loaded and that no earlier call
    // is still ordering: its id is assigned at once. The general path would take the same id
    // after four awaits and a dozen short-lived collections, which showed in the profile.
    if (
      inputs.length === 1 &&
      input !== undefined &&
      !input.idempotencyKey &&
      !this.#turns.has(input.subject) &&
      this.#sequencer.loaded(input.subject)
    ) {
      try {
        this.#admit(input.subject);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      const record = this.#record(input, this.#sequencer.assign(input.subject, 1), Date.now());
      return this.#batcher
        .submit({ records: [record], span: this.#traced ? activeSpanContext() : undefined })
        .then(() => [record.id]);
    }
    return this.#publishOrdered(inputs);
  }

  async #publishOrdered(inputs: readonly PublishInput[]): Promise<number[]> {
    const subjects = new Set(inputs.map((input) => input.subject));
    // Each input's answer: its own id, or the promise of the first publish with its key.
    const answers: (number | Promise<number>)[] = [];
    // Claimed synchronously, so a duplicate arriving while this call awaits waits for it.
    const claims = new Map<number, Claim>();
    inputs.forEach((input, index) => {
      if (!input.idempotencyKey) return;
      const slot = dedupSlot(input.subject, input.idempotencyKey);
      const pending = this.#inFlight.get(slot);
      if (pending !== undefined) {
        answers[index] = pending;
        return;
      }
      const claim = {
        slot,
        subject: input.subject,
        key: input.idempotencyKey,
        ...Promise.withResolvers<number>(),
      };
      // Its waiters see a rejection through their own await; nothing else must.
      claim.promise.catch(() => undefined);
      this.#inFlight.set(slot, claim.promise);
      claims.set(index, claim);
    });
    // Ids are assigned in call order per subject: behind earlier calls still looking keys up.
    const earlier = [...subjects].flatMap((subject) => this.#turns.get(subject) ?? []);
    const turn = earlier.length > 0 || claims.size > 0 ? Promise.withResolvers<void>() : undefined;
    if (turn !== undefined) for (const subject of subjects) this.#turns.set(subject, turn.promise);
    try {
      if (claims.size > 0) {
        // Loaded first: a subject that just moved here is read only once its handoff is done.
        await Promise.all([...subjects].map((subject) => this.#sequencer.ensureLoaded(subject)));
        const stored = await Promise.all(
          [...claims].map(
            async ([index, { subject, key }]) =>
              [index, await this.#store.idempotentId(subject, key, Date.now())] as const,
          ),
        );
        for (const [index, id] of stored) {
          if (id === undefined) continue;
          answers[index] = id;
          claims.get(index)?.resolve(id);
        }
      }
      await Promise.all(earlier);
      const fresh = inputs.flatMap((input, index) =>
        answers[index] === undefined ? [{ input, index }] : [],
      );
      if (fresh.length === 0) return await settle(answers);
      // A subject released while it loaded (its ownership moved away and back) loads again.
      do {
        await Promise.all([...subjects].map((subject) => this.#sequencer.ensureLoaded(subject)));
        for (const subject of subjects) this.#admit(subject);
      } while (![...subjects].every((subject) => this.#sequencer.loaded(subject)));
      const nowMs = Date.now();
      const assigned = fresh.map(({ input, index }) => {
        const id = this.#sequencer.assign(input.subject, 1);
        answers[index] = id;
        return { index, record: this.#record(input, id, nowMs) };
      });
      const durable = this.#batcher.submit({
        records: assigned.map(({ record }) => record),
        span: this.#traced ? activeSpanContext() : undefined,
      });
      this.#endTurn(subjects, turn);
      await durable;
      for (const { index, record } of assigned) claims.get(index)?.resolve(record.id);
      return await settle(answers);
    } catch (err) {
      for (const claim of claims.values()) claim.reject(err);
      throw err;
    } finally {
      this.#endTurn(subjects, turn);
      for (const claim of claims.values()) this.#inFlight.delete(claim.slot);
    }
  }

  #record(input: PublishInput, id: number, nowMs: number): MessageRecord {
    return {
      subject: input.subject,
      id,
      body: input.body,
      expiresAtMs: input.expirationSeconds > 0 ? nowMs + input.expirationSeconds * 1000 : null,
      ...(input.idempotencyKey
        ? { dedup: { key: input.idempotencyKey, untilMs: nowMs + this.#dedupWindowMs } }
        : {}),
    };
  }

  /** Lets the calls behind `turn` assign their ids. */
  #endTurn(subjects: ReadonlySet<string>, turn: PromiseWithResolvers<void> | undefined): void {
    if (turn === undefined) return;
    turn.resolve();
    for (const subject of subjects)
      if (this.#turns.get(subject) === turn.promise) this.#turns.delete(subject);
  }

  /** Resolves once every publish accepted so far has been written (or failed). */
  flush(): Promise<void> {
    return this.#batcher.flush();
  }
}

/** Each input's id: its own, or the first publish's with its key once that is durable. */
const settle = (answers: readonly (number | Promise<number>)[]): Promise<number[]> =>
  Promise.all(answers.map((answer) => Promise.resolve(answer)));

/** A keyed publish this call stores (or finds stored): its duplicates wait on `promise`. */
interface Claim extends PromiseWithResolvers<number> {
  readonly slot: string;
  readonly subject: string;
  readonly key: string;
}

/** Subjects cannot hold NUL on the wire's text, so it separates subject from key. */
const dedupSlot = (subject: string, key: string): string => `${subject}\u0000${key}`;

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

/**
 * Consumer groups (broker/README.md#consumer-groups): members of a durable group
 * share the messages of a subject or pattern, each message held by one live
 * member at a time until it is acknowledged or dead-lettered.
 *
 * - New messages are read from the store from each subject's cursor, woken by
 *   the publish path's durable batches, so a group never misses one and needs
 *   no buffer of its own beyond one page per subject.
 * - Every delivery of a message takes the next attempt number; an ack names its
 *   attempt, so the ack of a superseded delivery is recognised and ignored.
 * - Redelivery happens after ack_wait, at once when the holder leaves, and on
 *   NAK; a message out of attempts (or TERMed) is appended to its dead-letter
 *   subject through the publish path before it leaves the pending set.
 * - Changes to the cursor and pending set go through one ordered group commit,
 *   so an ack can never be overtaken by the delivery it settles.
 */
import type { Span, SpanContext } from "@opentelemetry/api";
import { compilePattern, isPattern } from "../../contract/subjects.ts";
import type { Logger } from "../../lib/process/logger.ts";
import { GroupCommitBatcher } from "../batch/group-commit.ts";
import { GroupConflictError, InvalidArgumentError } from "../errors.ts";
import type { GroupChange, GroupPosition, GroupSettings } from "../store/group-state.ts";
import type { MessageRecord, MessageStore } from "../store/message-store.ts";
import { startDeliverySpan, tracingEnabled } from "../telemetry/tracing.ts";

/** Settings of a group that a ConsumeStart leaves at 0. */
export const groupDefaults = { ackWaitMs: 30_000, maxDeliveries: 5, maxInFlight: 256 } as const;

/** The prefix of dead-letter subjects: `$DLQ.<group>.<subject>`. */
export const deadLetterPrefix = "$DLQ.";

/** Publish spans remembered for linking deliveries, when traced. */
const publishSpansKept = 10_000;

export const deadLetterSubject = (group: string, subject: string) =>
  `${deadLetterPrefix}${group}.${subject}`;

export type AckKindName = "ack" | "nak" | "term";

export interface JoinRequest {
  readonly group: string;
  readonly pattern: string;
  /** Already resolved from its default. */
  readonly maxInFlight: number;
  readonly ackWaitMs: number;
  readonly maxDeliveries: number;
  readonly startId: number;
}

export interface AckRequest {
  readonly subject: string;
  readonly id: number;
  readonly attempt: number;
  readonly kind: AckKindName;
}

export interface OutgoingDelivery {
  readonly subject: string;
  readonly id: number;
  readonly body: Uint8Array;
  readonly attempt: number;
}

/** Where a member's deliveries go: its Consume stream. */
export interface MemberSink {
  deliver(delivery: OutgoingDelivery): void;
  /** Ends the stream with the status of `err`. */
  fail(err: Error): void;
}

/** A member's handle on its group. */
export interface GroupMember {
  /** Throws InvalidArgumentError for a message the group never delivered. */
  ack(request: AckRequest): void;
  /** The member is gone: what it held is redelivered at once. */
  leave(): void;
}

export interface GroupStats {
  readonly group: string;
  /** Messages waiting for a delivery: not yet delivered, or due for redelivery. */
  readonly pending: number;
  /** Delivered and not yet acknowledged. */
  readonly ackPending: number;
  /** Per subject: the subject's last id minus the group's floor, summed. */
  readonly lag: number;
  /** Members joined here. */
  readonly members: number;
}

/** One subject of a group, as GroupStats counts it. */
export interface SubjectStats {
  readonly subject: string;
  readonly pending: number;
  readonly ackPending: number;
  /** The subject's last id minus the group's floor (every id up to it is settled). */
  readonly lag: number;
}

export interface GroupListing {
  readonly settings: GroupSettings;
  readonly subjects: readonly SubjectStats[];
}

export interface GroupEvents {
  redelivered(group: string): void;
  deadLettered(group: string): void;
  /** A settled ack is durable. */
  acked(group: string): void;
  /** A pending message had expired (or was purged) before it was acknowledged. */
  expired(group: string): void;
}

export interface ConsumerGroupsDeps {
  readonly store: Pick<
    MessageStore,
    | "createGroup"
    | "groups"
    | "groupPositions"
    | "writeGroupChanges"
    | "subjects"
    | "range"
    | "get"
    | "lastId"
  >;
  /** Whether this member owns the subject (cluster ownership); a group serves only what it owns here. */
  readonly owns: (subject: string) => boolean;
  /**
   * Resolves once this member may take the subject's group state over: every former owner has
   * handed it off (and written its group changes). Rejects when it does not own the subject.
   */
  readonly takeOver: (subject: string) => Promise<unknown>;
  /** Appends a dead letter through the publish path; resolves once it is durable. */
  readonly publish: (subject: string, body: Uint8Array) => Promise<void>;
  readonly events: GroupEvents;
  readonly logger: Logger;
  /** Group commit of group changes. */
  readonly batch: { readonly maxSize: number; readonly maxDelayMs: number };
  readonly readPageSize: number;
  /** Pause before a failed dead-letter append is tried again. */
  readonly retryDelayMs: number;
}

interface Member {
  readonly sink: MemberSink;
  readonly maxInFlight: number;
  readonly held: Set<Entry>;
  left: boolean;
}

/** A message of the group's pending set. */
interface Entry {
  readonly state: SubjectState;
  readonly record: MessageRecord;
  /** Attempt of the latest delivery; 0 before the first. */
  attempt: number;
  holder: Member | undefined;
  /** The member that held the latest delivery; undefined before the first. */
  lastHolder: Member | undefined;
  timer: NodeJS.Timeout | undefined;
  /** On its way to the dead-letter subject. */
  dead: boolean;
  /** Traced: the span of the delivery the holder has. */
  span: Span | undefined;
}

interface SubjectState {
  readonly subject: string;
  /** Ids below it were delivered at least once. */
  cursor: number;
  /** Next id to read from the store (past the buffered records). */
  readFrom: number;
  /** Highest id known to exist. */
  lastId: number;
  readonly buffer: MessageRecord[];
  readonly pending: Map<number, Entry>;
  readonly redeliver: Entry[];
  reading: boolean;
}

class Group {
  readonly settings: GroupSettings;
  readonly matches: (subject: string) => boolean;
  readonly members: Member[] = [];
  readonly subjects = new Map<string, SubjectState>();
  /** Subjects whose state is being loaded (taken over, or first seen). */
  readonly adopting = new Set<string>();
  next = 0;

  constructor(settings: GroupSettings) {
    this.settings = settings;
    const { pattern } = settings;
    const matches = isPattern(pattern) ? compilePattern(pattern) : (s: string) => s === pattern;
    // A wildcard never reaches dead-letter subjects unless it names them, so a group cannot consume its own.
    const deadLetters = pattern.startsWith(deadLetterPrefix);
    this.matches = (subject) =>
      matches(subject) && (deadLetters || !subject.startsWith(deadLetterPrefix));
  }
}

export class ConsumerGroups {
  readonly #deps: ConsumerGroupsDeps;
  readonly #groups = new Map<string, Group>();
  readonly #loading = new Map<string, Promise<Group>>();
  readonly #writer: GroupCommitBatcher<readonly GroupChange[]>;
  readonly #traced = tracingEnabled();
  /** Traced: the publish spans of recent messages of consumed subjects, oldest first. */
  readonly #publishSpans = new Map<string, SpanContext>();
  #closed = false;

  constructor(deps: ConsumerGroupsDeps) {
    this.#deps = deps;
    this.#writer = new GroupCommitBatcher<readonly GroupChange[]>({
      ...deps.batch,
      weight: (changes) => changes.length,
      write: (batches) => deps.store.writeGroupChanges(batches.flat()),
    });
  }

  /** Adds a member to the group, creating or loading the group first. */
  async join(request: JoinRequest, sink: MemberSink): Promise<GroupMember> {
    const group = await this.#group(request);
    const member: Member = {
      sink,
      maxInFlight: request.maxInFlight,
      held: new Set(),
      left: false,
    };
    group.members.push(member);
    this.#pump(group);
    return {
      ack: (ack) => this.#ack(group, member, ack),
      leave: () => this.#leave(group, member),
    };
  }

  /** Durable records from the publish path: wakes the groups that consume their subjects. */
  onDurable(
    records: readonly MessageRecord[],
    publishSpans?: readonly (SpanContext | undefined)[],
  ): void {
    for (const group of this.#groups.values()) {
      let woken = false;
      for (const [index, record] of records.entries()) {
        if (!group.matches(record.subject)) continue;
        const span = publishSpans?.[index];
        if (span !== undefined) this.#rememberPublish(record, span);
        const state = group.subjects.get(record.subject);
        if (state === undefined) {
          this.#adopt(group, record.subject);
          continue;
        }
        state.lastId = Math.max(state.lastId, record.id);
        woken = true;
      }
      if (woken) this.#pump(group);
    }
  }

  stats(): GroupStats[] {
    return [...this.#groups.values()].map((group) => {
      let pending = 0;
      let ackPending = 0;
      let lag = 0;
      for (const state of group.subjects.values()) {
        const subject = servedStats(state);
        pending += subject.pending;
        ackPending += subject.ackPending;
        lag += subject.lag;
      }
      return {
        group: group.settings.name,
        pending,
        ackPending,
        lag,
        members: group.members.length,
      };
    });
  }

  /**
   * Every stored group (or the one named) with the subjects this member owns: from memory where
   * the group is served here, else from its stored positions, where nothing is held by a member.
   */
  async list(name?: string): Promise<GroupListing[]> {
    const { store } = this.#deps;
    const listings: GroupListing[] = [];
    for (const settings of await store.groups()) {
      if (name !== undefined && settings.name !== name) continue;
      const served = this.#groups.get(settings.name);
      const subjects =
        served === undefined
          ? await this.#storedStats(settings)
          : [...served.subjects.values()].map(servedStats);
      subjects.sort((a, b) => compare(a.subject, b.subject));
      listings.push({ settings, subjects });
    }
    return listings.sort((a, b) => compare(a.settings.name, b.settings.name));
  }

  async #storedStats(settings: GroupSettings): Promise<SubjectStats[]> {
    const { store, owns } = this.#deps;
    const { matches } = new Group(settings);
    const stats: SubjectStats[] = [];
    for (const { subject, cursor, pending } of await store.groupPositions(settings.name)) {
      if (!owns(subject) || !matches(subject)) continue;
      const lastId = await store.lastId(subject);
      let floor = cursor - 1;
      for (const delivery of pending) floor = Math.min(floor, delivery.id - 1);
      stats.push({
        subject,
        pending: Math.max(0, lastId - cursor + 1) + pending.length,
        ackPending: 0,
        lag: Math.max(0, lastId - floor),
      });
    }
    return stats;
  }

  /** Ends every member's stream with `err` and writes what is queued. */
  async close(err: Error): Promise<void> {
    this.#closed = true;
    for (const group of this.#groups.values()) {
      for (const member of [...group.members]) {
        this.#leave(group, member);
        member.sink.fail(err);
      }
    }
    await this.#writer.flush();
  }

  /** Resolves once every group change queued so far is written (the cluster's handoff waits on it). */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /**
   * After an epoch change: the state of subjects this member no longer owns is dropped (the new
   * owner loads it from the store and redelivers what was pending), and subjects it now owns are
   * taken over.
   */
  onEpoch(): void {
    for (const group of this.#groups.values()) {
      for (const state of [...group.subjects.values()]) {
        if (this.#deps.owns(state.subject)) continue;
        group.subjects.delete(state.subject);
        for (const entry of state.pending.values()) this.#release(entry, "moved to another member");
      }
      void this.#candidates(group.settings).then(
        (subjects) => {
          for (const subject of subjects) {
            if (group.matches(subject) && !group.subjects.has(subject)) this.#adopt(group, subject);
          }
        },
        (err: unknown) =>
          this.#deps.logger.warn({ err, group: group.settings.name }, "group takeover failed"),
      );
      this.#pump(group);
    }
  }

  #group(request: JoinRequest): Promise<Group> {
    const existing = this.#groups.get(request.group);
    if (existing !== undefined)
      return Promise.resolve(checked(existing.settings, request, existing));
    let loading = this.#loading.get(request.group);
    if (loading === undefined) {
      loading = this.#load(request).finally(() => this.#loading.delete(request.group));
      this.#loading.set(request.group, loading);
    }
    return loading.then((group) => checked(group.settings, request, group));
  }

  /**
   * Creates the group or loads it from the store. A new group starts each matching
   * subject after its last id (or at start_id); a loaded one resumes from its
   * cursors, and redelivers its pending messages at once: their holders are gone.
   */
  async #load(request: JoinRequest): Promise<Group> {
    const { store, owns } = this.#deps;
    const settings =
      (await store.groups()).find((group) => group.name === request.group) ??
      (await this.#create(request));
    const group = new Group(settings);
    const positions = await store.groupPositions(settings.name);
    for (const position of positions) {
      if (owns(position.subject) && group.matches(position.subject))
        group.subjects.set(position.subject, await this.#restore(group, position));
    }
    const changes: GroupChange[] = [];
    for (const subject of await this.#candidates(settings)) {
      if (!owns(subject) || !group.matches(subject) || group.subjects.has(subject)) continue;
      // The group's creator wrote a cursor for every subject it found: this one is newer than the group.
      const cursor = settings.startId > 0 ? settings.startId : 1;
      const state = subjectState(subject, cursor);
      state.lastId = await store.lastId(subject);
      group.subjects.set(subject, state);
      changes.push({ kind: "cursor", group: settings.name, subject, cursor });
    }
    if (changes.length > 0) await this.#writer.submit(changes);
    this.#groups.set(settings.name, group);
    for (const state of group.subjects.values()) this.#deadLetterExhausted(group, state);
    this.#catchUp(group);
    return group;
  }

  /**
   * Batches made durable while a group loaded woke no one; later ones will. So once it is registered,
   * one more read of each subject's last id, and of the subjects, covers what they added.
   */
  #catchUp(group: Group): void {
    const { store, owns } = this.#deps;
    (async () => {
      for (const state of [...group.subjects.values()])
        state.lastId = Math.max(state.lastId, await store.lastId(state.subject));
      for (const subject of await this.#candidates(group.settings)) {
        if (owns(subject) && group.matches(subject) && !group.subjects.has(subject))
          this.#adopt(group, subject);
      }
      this.#pump(group);
    })().catch((err: unknown) =>
      this.#deps.logger.warn({ err, group: group.settings.name }, "group catch-up failed"),
    );
  }

  /**
   * Creates the group. Every matching subject's first cursor (after its last message, or at
   * start_id) is written before the group itself, so a member of any broker that finds the group
   * also finds them, whichever subjects it owns.
   */
  async #create(request: JoinRequest): Promise<GroupSettings> {
    const { store } = this.#deps;
    const proposed: GroupSettings = {
      name: request.group,
      pattern: request.pattern,
      ackWaitMs: request.ackWaitMs,
      maxDeliveries: request.maxDeliveries,
      startId: request.startId,
    };
    const matches = new Group(proposed).matches;
    const cursors: GroupChange[] = [];
    for (const subject of await this.#candidates(proposed)) {
      if (!matches(subject)) continue;
      const cursor = proposed.startId > 0 ? proposed.startId : (await store.lastId(subject)) + 1;
      cursors.push({ kind: "cursor", group: proposed.name, subject, cursor });
    }
    if (cursors.length > 0) await this.#writer.submit(cursors);
    return (await store.createGroup(proposed)).settings;
  }

  /** The subjects a group may consume: its one subject, or every subject the store knows. */
  async #candidates(settings: GroupSettings): Promise<string[]> {
    return isPattern(settings.pattern) ? await this.#deps.store.subjects() : [settings.pattern];
  }

  /** A subject's state from its stored position; its pending messages are delivered again at once. */
  async #restore(group: Group, position: GroupPosition): Promise<SubjectState> {
    const { store } = this.#deps;
    const { name } = group.settings;
    const state = subjectState(position.subject, position.cursor);
    state.lastId = await store.lastId(position.subject);
    const nowMs = Date.now();
    for (const { id, attempt } of position.pending) {
      const record = await store.get(position.subject, id, nowMs);
      if (record === undefined) {
        this.#deps.events.expired(name);
        void this.#write([{ kind: "settle", group: name, subject: position.subject, id }]);
        continue;
      }
      const entry = newEntry(state, record, attempt);
      state.pending.set(id, entry);
      state.redeliver.push(entry);
    }
    return state;
  }

  /**
   * Loads the group's state of a subject it has none for here: one taken over from another member
   * (once that member has handed it off), or one first published after the group was created.
   */
  #adopt(group: Group, subject: string): void {
    if (group.adopting.has(subject) || group.subjects.has(subject)) return;
    group.adopting.add(subject);
    const { store } = this.#deps;
    const { name, startId } = group.settings;
    (async () => {
      await this.#deps.takeOver(subject);
      const position = (await store.groupPositions(name)).find(
        (candidate) => candidate.subject === subject,
      );
      const state =
        position === undefined
          ? subjectState(subject, startId > 0 ? startId : 1)
          : await this.#restore(group, position);
      if (position === undefined)
        await this.#writer.submit([{ kind: "cursor", group: name, subject, cursor: state.cursor }]);
      if (position === undefined) state.lastId = await store.lastId(subject);
      if (!this.#deps.owns(subject) || group.subjects.has(subject)) return;
      group.subjects.set(subject, state);
      this.#deadLetterExhausted(group, state);
      this.#pump(group);
      // A batch made durable while the state loaded woke no one; later ones will, so one read covers it.
      state.lastId = Math.max(state.lastId, await store.lastId(subject));
      this.#pump(group);
    })()
      .catch((err: unknown) => {
        this.#deps.logger.debug({ err, group: name, subject }, "group state not loaded; retrying");
        // A store call that failed (a timeout under load) must not leave the subject unserved until
        // its next publish: the owner tries again while it still owns the subject.
        setTimeout(() => {
          const current = this.#groups.get(name) === group;
          if (!this.#closed && current && this.#deps.owns(subject)) this.#adopt(group, subject);
        }, this.#deps.retryDelayMs).unref();
      })
      .finally(() => group.adopting.delete(subject));
  }

  #deadLetterExhausted(group: Group, state: SubjectState): void {
    for (const entry of [...state.redeliver]) {
      if (entry.attempt >= group.settings.maxDeliveries) this.#deadLetter(group, entry);
    }
  }

  #rememberPublish(record: MessageRecord, span: SpanContext): void {
    this.#publishSpans.set(`${record.subject}#${record.id}`, span);
    if (this.#publishSpans.size <= publishSpansKept) return;
    const [oldest] = this.#publishSpans.keys();
    if (oldest !== undefined) this.#publishSpans.delete(oldest);
  }

  /** Hands out work while some member has room: redeliveries first, then new messages. */
  #pump(group: Group): void {
    if (this.#closed) return;
    for (;;) {
      const member = this.#memberWithRoom(group);
      if (member === undefined) return;
      const work = this.#nextWork(group);
      if (work === undefined) return;
      const to = this.#otherThanLastHolder(group, member, work);
      // The turn passes only with a delivery: a member found when there was no work keeps it.
      group.next = (group.members.indexOf(to) + 1) % group.members.length;
      this.#deliver(group, to, work);
    }
  }

  #memberWithRoom(group: Group): Member | undefined {
    const count = group.members.length;
    for (let step = 0; step < count; step++) {
      const member = group.members[(group.next + step) % count];
      if (member !== undefined && member.held.size < member.maxInFlight) return member;
    }
    return undefined;
  }

  /**
   * A message comes again to another member with room when there is one: its last holder let the
   * ack wait pass or NAKed it, and one that never acks would otherwise take it until it is dead-lettered.
   */
  #otherThanLastHolder(group: Group, member: Member, entry: Entry): Member {
    if (entry.lastHolder !== member) return member;
    return (
      group.members.find((other) => other !== member && other.held.size < other.maxInFlight) ??
      member
    );
  }

  /** The next entry to deliver, or undefined (starting store reads where there may be more). */
  #nextWork(group: Group): Entry | undefined {
    const nowMs = Date.now();
    for (const state of group.subjects.values()) {
      for (
        let entry = state.redeliver.shift();
        entry !== undefined;
        entry = state.redeliver.shift()
      ) {
        if (isLive(entry.record, nowMs)) return entry;
        this.#settle(group, entry, "expired");
      }
    }
    for (const state of group.subjects.values()) {
      for (let record = state.buffer.shift(); record !== undefined; record = state.buffer.shift()) {
        if (!isLive(record, nowMs)) continue;
        const entry = newEntry(state, record, 0);
        state.pending.set(record.id, entry);
        return entry;
      }
      if (!state.reading && state.readFrom <= state.lastId) this.#read(group, state);
    }
    return undefined;
  }

  #read(group: Group, state: SubjectState): void {
    state.reading = true;
    const { readPageSize } = this.#deps;
    // Every id up to here was durable before the read began.
    const durableBefore = state.lastId;
    this.#deps.store
      .range(state.subject, state.readFrom, readPageSize, Date.now())
      .then(
        (page) => {
          const from = Math.max(state.readFrom, state.cursor);
          for (const record of page) {
            if (record.id >= from && !state.pending.has(record.id)) state.buffer.push(record);
          }
          const lastRead = page.at(-1)?.id ?? 0;
          // A short page read to the end: ids it lacks up to durableBefore had expired.
          state.readFrom =
            page.length < readPageSize
              ? Math.max(durableBefore, lastRead) + 1
              : Math.max(state.readFrom, lastRead + 1);
          state.lastId = Math.max(state.lastId, lastRead);
        },
        (err: unknown) =>
          this.#deps.logger.warn({ err, group: group.settings.name }, "group read failed"),
      )
      .finally(() => {
        state.reading = false;
        this.#pump(group);
      });
  }

  #deliver(group: Group, member: Member, entry: Entry): void {
    const { settings } = group;
    const { state, record } = entry;
    entry.attempt += 1;
    entry.holder = member;
    member.held.add(entry);
    const attempt = entry.attempt;
    entry.timer = setTimeout(() => {
      if (entry.holder !== undefined && entry.attempt === attempt)
        this.#requeue(group, entry, "ack wait passed");
    }, settings.ackWaitMs);
    if (this.#traced) {
      entry.span = startDeliverySpan(this.#publishSpans.get(`${state.subject}#${record.id}`), {
        "messaging.system": "herald",
        "messaging.operation": "deliver",
        "messaging.destination.name": state.subject,
        "messaging.consumer.group.name": settings.name,
        "messaging.message.id": record.id,
        "herald.delivery.attempt": attempt,
      });
    }
    entry.timer.unref();
    const changes: GroupChange[] = [
      { kind: "deliver", group: settings.name, subject: state.subject, id: record.id, attempt },
    ];
    if (attempt === 1 && record.id >= state.cursor) {
      state.cursor = record.id + 1;
      changes.push({
        kind: "cursor",
        group: settings.name,
        subject: state.subject,
        cursor: state.cursor,
      });
    } else {
      this.#deps.events.redelivered(settings.name);
    }
    void this.#write(changes);
    member.sink.deliver({ subject: state.subject, id: record.id, body: record.body, attempt });
  }

  #ack(group: Group, member: Member, ack: AckRequest): void {
    const state = group.subjects.get(ack.subject);
    const entry = state?.pending.get(ack.id);
    if (state === undefined || entry === undefined) {
      // Settled before (a late or repeated ack), or the subject moved to another member or is loading.
      if (state !== undefined && ack.id < state.cursor) return;
      if (state === undefined && (!this.#deps.owns(ack.subject) || group.adopting.has(ack.subject)))
        return;
      throw new InvalidArgumentError(
        `ack for unknown message ${ack.subject}#${ack.id}: group "${group.settings.name}" never delivered it`,
      );
    }
    if (ack.attempt > entry.attempt) {
      throw new InvalidArgumentError(
        `ack for attempt ${ack.attempt} of ${ack.subject}#${ack.id}, which was delivered ${entry.attempt} times`,
      );
    }
    // A superseded attempt, or a message already on its way to the dead letters.
    if (ack.attempt < entry.attempt || entry.dead) return;
    if (entry.holder !== undefined && entry.holder !== member) return;
    switch (ack.kind) {
      case "ack":
        this.#settle(group, entry, "acked");
        break;
      case "nak":
        if (entry.holder !== undefined) this.#requeue(group, entry, "nak");
        break;
      case "term":
        this.#release(entry, "term");
        this.#removeFromRedeliver(entry);
        this.#deadLetter(group, entry);
        break;
    }
    this.#pump(group);
  }

  #leave(group: Group, member: Member): void {
    if (member.left) return;
    member.left = true;
    const index = group.members.indexOf(member);
    if (index !== -1) group.members.splice(index, 1);
    for (const entry of [...member.held]) this.#requeue(group, entry, "member left");
    this.#pump(group);
  }

  /** Takes the entry from its holder; out of attempts it is dead-lettered, else delivered again. */
  #requeue(group: Group, entry: Entry, outcome: string): void {
    this.#release(entry, outcome);
    if (entry.attempt >= group.settings.maxDeliveries) {
      this.#deadLetter(group, entry);
      return;
    }
    entry.state.redeliver.push(entry);
    this.#pump(group);
  }

  /** Takes the entry from its holder; `outcome` ends the delivery's span. */
  #release(entry: Entry, outcome: string): void {
    entry.span?.setAttribute("herald.delivery.outcome", outcome);
    entry.span?.end();
    entry.span = undefined;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.holder?.held.delete(entry);
    entry.lastHolder = entry.holder ?? entry.lastHolder;
    entry.holder = undefined;
  }

  #removeFromRedeliver(entry: Entry): void {
    const index = entry.state.redeliver.indexOf(entry);
    if (index !== -1) entry.state.redeliver.splice(index, 1);
  }

  /** Appends the original body to the dead-letter subject, then settles; retried until it is durable. */
  #deadLetter(group: Group, entry: Entry): void {
    if (entry.dead) return;
    entry.dead = true;
    this.#removeFromRedeliver(entry);
    const { name } = group.settings;
    const attempt = (): void => {
      if (this.#closed) return;
      this.#deps.publish(deadLetterSubject(name, entry.state.subject), entry.record.body).then(
        () => {
          this.#deps.events.deadLettered(name);
          this.#settle(group, entry, "dead");
        },
        (err: unknown) => {
          this.#deps.logger.warn({ err, group: name }, "dead-letter append failed; retrying");
          setTimeout(attempt, this.#deps.retryDelayMs).unref();
        },
      );
    };
    attempt();
  }

  #settle(group: Group, entry: Entry, reason: "acked" | "dead" | "expired"): void {
    this.#release(entry, reason === "acked" ? "ack" : reason);
    this.#removeFromRedeliver(entry);
    const { state, record } = entry;
    if (state.pending.get(record.id) !== entry) return;
    state.pending.delete(record.id);
    const name = group.settings.name;
    if (reason === "expired") this.#deps.events.expired(name);
    const written = this.#write([
      { kind: "settle", group: name, subject: state.subject, id: record.id },
    ]);
    if (reason === "acked") void written.then((ok) => ok && this.#deps.events.acked(name));
  }

  /** Queues changes for the ordered group commit; resolves false (logged) if their write failed. */
  #write(changes: readonly GroupChange[]): Promise<boolean> {
    return this.#writer.submit(changes).then(
      () => true,
      (err: unknown) => {
        this.#deps.logger.warn({ err }, "consumer group state write failed");
        return false;
      },
    );
  }
}

function checked(settings: GroupSettings, request: JoinRequest, group: Group): Group {
  if (settings.pattern !== request.pattern)
    throw new GroupConflictError(settings.name, settings.pattern, request.pattern);
  return group;
}

/** A subject's counts from the state this member serves. */
function servedStats(state: SubjectState): SubjectStats {
  let ackPending = 0;
  let floor = state.cursor - 1;
  for (const entry of state.pending.values()) {
    if (entry.holder !== undefined) ackPending += 1;
    floor = Math.min(floor, entry.record.id - 1);
  }
  return {
    subject: state.subject,
    pending: Math.max(0, state.lastId - state.cursor + 1) + state.redeliver.length,
    ackPending,
    lag: Math.max(0, state.lastId - floor),
  };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const isLive = (record: MessageRecord, nowMs: number) =>
  record.expiresAtMs === null || record.expiresAtMs > nowMs;

function subjectState(subject: string, cursor: number): SubjectState {
  return {
    subject,
    cursor,
    readFrom: cursor,
    lastId: 0,
    buffer: [],
    pending: new Map(),
    redeliver: [],
    reading: false,
  };
}

const newEntry = (state: SubjectState, record: MessageRecord, attempt: number): Entry => ({
  state,
  record,
  attempt,
  holder: undefined,
  lastHolder: undefined,
  timer: undefined,
  dead: false,
  span: undefined,
});

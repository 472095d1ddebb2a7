/**
 * Helpers of the broker-level suites: expected ids and failures, collecting
 * subscriptions, and a store whose calls a test can hang or hold.
 */
import { type ServiceError, status } from "@grpc/grpc-js";
import { expect } from "vitest";
import type { HeraldClient, ReceivedMessage, SubscribeOptions } from "../client/herald-client.ts";
import type { GroupChange, GroupSettings } from "../store/group-state.ts";
import type { MessageRecord, MessageStore } from "../store/message-store.ts";

/** The ids from..to, both included: what a run of publishes to one subject should get. */
export const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The gRPC failure of `promise`, which must reject. */
export async function failureOf(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error("expected the call to fail");
}

export async function expectStatus(
  promise: Promise<unknown>,
  code: status,
  details?: RegExp,
): Promise<void> {
  const err = await failureOf(promise);
  expect(status[err.code], err.details).toBe(status[code]);
  if (details) expect(err.details).toMatch(details);
}

/**
 * Every acknowledged message is in `store` (a new one on the test's namespace, so a
 * persistent store reads what was written; memory shares the instance, left open).
 */
export async function expectStoredAfterReopen(
  store: MessageStore,
  subject: string,
  acked: readonly { id: number; body: string }[],
): Promise<void> {
  await store.open();
  try {
    for (const { id, body } of acked) {
      const record = await store.get(subject, id, Date.now());
      expect(record && Buffer.from(record.body).toString("utf8")).toBe(body);
    }
  } finally {
    if (store.kind !== "memory") await store.close();
  }
}

/** Subscribes and collects `count` messages; `subscribed` resolves once the broker registered it. */
export function collect(
  client: HeraldClient,
  subject: string,
  count: number,
  options: SubscribeOptions = {},
) {
  let markSubscribed: () => void = () => undefined;
  const subscribed = new Promise<void>((resolve) => (markSubscribed = resolve));
  const messages = (async () => {
    const received: ReceivedMessage[] = [];
    if (count === 0) return received;
    for await (const message of client.subscribe(subject, {
      ...options,
      onSubscribed: markSubscribed,
    })) {
      received.push(message);
      if (received.length === count) break;
    }
    return received;
  })();
  // A subscription that fails before registering settles `subscribed` too (the failure surfaces via `messages`).
  const settled = messages.then(
    () => undefined,
    () => undefined,
  );
  return { subscribed: Promise.race([subscribed, settled]), messages };
}

/** A store decorator whose calls the test can make hang, as an unreachable server's would. */
export class SwitchableStore implements MessageStore {
  readonly kind: MessageStore["kind"];
  readonly #inner: MessageStore;
  hanging = false;
  #held: Promise<void> | undefined;

  constructor(inner: MessageStore) {
    this.kind = inner.kind;
    this.#inner = inner;
  }

  open = () => this.#inner.open();
  close = () => this.#inner.close();
  appendBatch = (records: readonly MessageRecord[]) =>
    this.#reach(() => this.#inner.appendBatch(records));
  get = (subject: string, id: number, nowMs: number) =>
    this.#reach(() => this.#inner.get(subject, id, nowMs));
  lastId = (subject: string) => this.#reach(() => this.#inner.lastId(subject));
  skipped = (subject: string, id: number) => this.#reach(() => this.#inner.skipped(subject, id));
  idempotentId = (subject: string, key: string, nowMs: number) =>
    this.#reach(() => this.#inner.idempotentId(subject, key, nowMs));
  range = (subject: string, fromId: number, limit: number, nowMs: number) =>
    this.#reach(() => this.#inner.range(subject, fromId, limit, nowMs));
  purgeExpired = (nowMs: number) => this.#reach(() => this.#inner.purgeExpired(nowMs));
  ping = () => this.#reach(() => this.#inner.ping());
  createGroup = (settings: GroupSettings) => this.#reach(() => this.#inner.createGroup(settings));
  groups = () => this.#reach(() => this.#inner.groups());
  groupPositions = (group: string) => this.#reach(() => this.#inner.groupPositions(group));
  writeGroupChanges = (changes: readonly GroupChange[]) =>
    this.#reach(() => this.#inner.writeGroupChanges(changes));
  subjects = () => this.#reach(() => this.#inner.subjects());

  /** Holds every call from now until the returned function is called. */
  hold(): () => void {
    let release = () => {};
    this.#held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.#held = undefined;
      release();
    };
  }

  #reach<T>(run: () => Promise<T>): Promise<T> {
    if (this.hanging) return new Promise<T>(() => undefined);
    return this.#held === undefined ? run() : this.#held.then(run);
  }
}

/**
 * Relays: a member that does not own a subject keeps ONE Subscribe stream to
 * the owner per subject that has local subscribers, and hands what arrives to
 * its own subscription hub, which fans it out. A relay remembers the last id
 * it passed on; after an upstream failure or an ownership move it resubscribes
 * from the next id, so local subscribers see no gap and no duplicate.
 */
import { type ClientReadableStream, status } from "@grpc/grpc-js";
import type { MessageResponse } from "../api/gen/broker.ts";
import type { Logger } from "../../lib/process/logger.ts";
import type { MessageRecord } from "../store/message-store.ts";
import type { ClusterView } from "./cluster-view.ts";
import { peerMetadata } from "./forwarded-metadata.ts";
import type { PeerPool } from "./peer-pool.ts";
import { peerAddress } from "../../contract/membership.ts";

export interface RelayDeps {
  readonly view: ClusterView;
  readonly peers: PeerPool;
  readonly deliver: (records: readonly MessageRecord[]) => void;
  readonly hasSubscribers: (subject: string) => boolean;
  /** The store's last id of the subject: a new relay starts after it. */
  readonly lastStoredId: (subject: string) => Promise<number>;
  /** Stored messages with id >= fromId, ascending. */
  readonly readRange: (
    subject: string,
    fromId: number,
    limit: number,
  ) => Promise<readonly MessageRecord[]>;
  readonly retryDelayMs: number;
  readonly logger: Logger;
}

interface Relay {
  readonly subject: string;
  /** Highest id passed to the hub. */
  lastId: number;
  call: ClientReadableStream<MessageResponse> | undefined;
  ownerAddress: string | undefined;
  registered: boolean;
  waiters: (() => void)[];
  retryTimer: NodeJS.Timeout | undefined;
  closed: boolean;
}

const catchUpPageSize = 256;

export class SubscribeRelays {
  readonly #deps: RelayDeps;
  readonly #relays = new Map<string, Relay>();
  readonly #starting = new Map<string, Promise<Relay>>();

  constructor(deps: RelayDeps) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#relays.size;
  }

  /** Ensures a relay for the subject; resolves once the owner has registered it (later publishes reach it). */
  async attach(subject: string): Promise<void> {
    const relay = this.#relays.get(subject) ?? (await this.#start(subject, undefined));
    if (relay.registered || relay.closed) return;
    await new Promise<void>((resolve) => relay.waiters.push(resolve));
  }

  /** Starts a relay after `lastId` (this member just handed the subject off) if it has local subscribers. */
  resumeAfter(subject: string, lastId: number | undefined): void {
    if (this.#relays.has(subject) || !this.#deps.hasSubscribers(subject)) return;
    void this.#start(subject, lastId).catch((err: unknown) =>
      this.#deps.logger.warn({ err, subject }, "could not start a relay"),
    );
  }

  /** Closes the relay when the subject has no local subscribers left. */
  closeIfIdle(subject: string): void {
    if (this.#deps.hasSubscribers(subject)) return;
    const relay = this.#relays.get(subject);
    if (relay !== undefined) this.#close(relay);
  }

  /**
   * After an epoch change: relays whose owner moved resubscribe at the new
   * owner. Returns the relayed subjects this member now owns; the caller takes
   * them over (`takeOver`) once their handoff is done.
   */
  onEpoch(): string[] {
    const owned: string[] = [];
    for (const relay of this.#relays.values()) {
      const owner = this.#deps.view.ownerOf(relay.subject);
      if (owner?.name === this.#deps.view.self) {
        this.#stopUpstream(relay);
        owned.push(relay.subject);
      } else if ((owner && peerAddress(owner)) !== relay.ownerAddress) {
        this.#stopUpstream(relay);
        this.#connect(relay);
      }
    }
    return owned;
  }

  /**
   * This member became the subject's owner and every other member has handed
   * it off up to `floor`: pass on what the relay had not yet delivered (from
   * the store) and end the relay, so local publishes continue the sequence.
   */
  async takeOver(subject: string, floor: number): Promise<void> {
    const relay = this.#relays.get(subject);
    if (relay === undefined) return;
    this.#close(relay);
    let cursor = relay.lastId + 1;
    while (cursor <= floor) {
      const page = await this.#deps.readRange(subject, cursor, catchUpPageSize);
      const due = page.filter((record) => record.id <= floor);
      if (due.length > 0) this.#deps.deliver(due);
      if (page.length < catchUpPageSize) break;
      cursor = (page.at(-1)?.id ?? floor) + 1;
    }
  }

  close(): void {
    for (const relay of [...this.#relays.values()]) this.#close(relay);
  }

  #start(subject: string, lastId: number | undefined): Promise<Relay> {
    let starting = this.#starting.get(subject);
    if (starting === undefined) {
      starting = (async () => {
        const after = lastId ?? (await this.#deps.lastStoredId(subject));
        const existing = this.#relays.get(subject);
        if (existing !== undefined) return existing;
        const relay: Relay = {
          subject,
          lastId: after,
          call: undefined,
          ownerAddress: undefined,
          registered: false,
          waiters: [],
          retryTimer: undefined,
          closed: false,
        };
        this.#relays.set(subject, relay);
        this.#connect(relay);
        return relay;
      })().finally(() => this.#starting.delete(subject));
      this.#starting.set(subject, starting);
    }
    return starting;
  }

  #connect(relay: Relay): void {
    if (relay.closed) return;
    const { view, peers, logger } = this.#deps;
    const owner = view.ownerOf(relay.subject);
    // Owned here: the takeover ends the relay. No owner: wait for a membership with members.
    if (owner === undefined) return this.#retryLater(relay);
    if (owner.name === view.self) return;
    relay.ownerAddress = peerAddress(owner);
    relay.registered = false;
    const call = peers
      .get(peerAddress(owner))
      .broker.subscribe(
        { subject: relay.subject, startId: relay.lastId + 1 },
        peerMetadata(view.epoch),
      );
    relay.call = call;
    call.once("metadata", () => {
      if (relay.call !== call) return;
      relay.registered = true;
      for (const wake of relay.waiters.splice(0)) wake();
    });
    call.on("data", (message: MessageResponse) => {
      if (relay.call !== call || message.id <= relay.lastId) return;
      relay.lastId = message.id;
      this.#deps.deliver([
        { subject: relay.subject, id: message.id, body: message.body, expiresAtMs: null },
      ]);
    });
    const ended = (err?: { code?: number; details?: string }) => {
      if (relay.call !== call) return;
      relay.call = undefined;
      relay.registered = false;
      if (err?.code !== status.CANCELLED) {
        logger.debug(
          { subject: relay.subject, code: err?.code, details: err?.details },
          "relay upstream ended; resubscribing",
        );
      }
      this.#retryLater(relay);
    };
    call.on("error", ended);
    call.on("end", () => ended());
  }

  #retryLater(relay: Relay): void {
    if (relay.closed || relay.retryTimer !== undefined) return;
    relay.retryTimer = setTimeout(() => {
      relay.retryTimer = undefined;
      if (relay.call === undefined) this.#connect(relay);
    }, this.#deps.retryDelayMs);
  }

  #stopUpstream(relay: Relay): void {
    const call = relay.call;
    relay.call = undefined;
    relay.ownerAddress = undefined;
    clearTimeout(relay.retryTimer);
    relay.retryTimer = undefined;
    call?.cancel();
  }

  #close(relay: Relay): void {
    relay.closed = true;
    this.#stopUpstream(relay);
    for (const wake of relay.waiters.splice(0)) wake();
    if (this.#relays.get(relay.subject) === relay) this.#relays.delete(relay.subject);
  }
}

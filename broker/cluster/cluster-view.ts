/**
 * The membership this broker has adopted, and who owns a subject in it.
 * Epochs only move forward; the previous membership is kept because a new
 * owner asks the members of the epoch before for their handoff.
 */
import { rendezvousOwner } from "./hrw.ts";
import type { Member, Membership } from "./membership/membership.ts";

export interface ClusterSnapshot {
  readonly epoch: number;
  readonly members: readonly Member[];
  readonly self: string;
}

/**
 * Owners of the current epoch remembered at most: every call asks for its subject's owner, and
 * rendezvous hashing costs a SHA-1 per member. Past the limit the cache starts over.
 */
const ownerCacheLimit = 100_000;

export type EpochListener = (current: Membership, previous: Membership | undefined) => void;

export class ClusterView {
  readonly self: string;
  #current: Membership | undefined;
  #previous: Membership | undefined;
  readonly #listeners = new Set<EpochListener>();
  /** The current epoch's owners by subject; emptied when an epoch is adopted. */
  readonly #owners = new Map<string, Member>();

  constructor(self: string) {
    this.self = self;
  }

  get adopted(): boolean {
    return this.#current !== undefined;
  }

  /** The adopted epoch; -1 before the first one. */
  get epoch(): number {
    return this.#current?.epoch ?? -1;
  }

  get current(): Membership | undefined {
    return this.#current;
  }

  get previous(): Membership | undefined {
    return this.#previous;
  }

  /** Adopts a newer membership and tells listeners synchronously; an older or equal epoch is ignored. */
  adopt(membership: Membership): boolean {
    if (this.#current !== undefined && membership.epoch <= this.#current.epoch) return false;
    this.#previous = this.#current;
    this.#current = membership;
    this.#owners.clear();
    for (const listener of this.#listeners) listener(membership, this.#previous);
    return true;
  }

  onEpoch(listener: EpochListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  ownerOf(subject: string, membership = this.#current): Member | undefined {
    if (membership === undefined) return undefined;
    if (membership !== this.#current) return rendezvousOwner(subject, membership.members);
    const known = this.#owners.get(subject);
    if (known !== undefined) return known;
    const owner = rendezvousOwner(subject, membership.members);
    if (owner === undefined) return undefined;
    if (this.#owners.size >= ownerCacheLimit) this.#owners.clear();
    this.#owners.set(subject, owner);
    return owner;
  }

  owns(subject: string): boolean {
    return this.ownerOf(subject)?.name === this.self;
  }

  /** Resolves true once the adopted epoch is at least `epoch`, false after `timeoutMs`. */
  waitForEpoch(epoch: number, timeoutMs: number): Promise<boolean> {
    if (this.epoch >= epoch) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        stop();
        resolve(false);
      }, timeoutMs);
      const stop = this.onEpoch((current) => {
        if (current.epoch < epoch) return;
        clearTimeout(timer);
        stop();
        resolve(true);
      });
    });
  }

  snapshot(): ClusterSnapshot {
    return { epoch: this.epoch, members: this.#current?.members ?? [], self: this.self };
  }
}

export type Route =
  | { readonly kind: "local" }
  | { readonly kind: "forward"; readonly owner: Member }
  | { readonly kind: "not-owner" }
  | { readonly kind: "unavailable"; readonly reason: string };

/**
 * Where a call on `subject` goes. A call that was already forwarded is never
 * forwarded again: if this member does not own the subject either, the epochs
 * disagree and the sender retries once it has adopted the newer one.
 */
export function route(view: ClusterView, subject: string, forwarded: boolean): Route {
  if (!view.adopted) return { kind: "unavailable", reason: "no cluster membership adopted yet" };
  const owner = view.ownerOf(subject);
  if (owner === undefined) return { kind: "unavailable", reason: "the cluster has no members" };
  if (owner.name === view.self) return { kind: "local" };
  if (forwarded) return { kind: "not-owner" };
  return { kind: "forward", owner };
}

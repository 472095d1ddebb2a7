/**
 * Membership from configuration (outside Kubernetes): fixed at start, and
 * replaceable through `update` (tests and local multi-process clusters).
 */
import type { Membership, MembershipSource } from "./membership.ts";

export class StaticMembershipSource implements MembershipSource {
  #current: Membership;
  #listener: ((membership: Membership) => void) | undefined;

  constructor(initial: Membership) {
    this.#current = initial;
  }

  start(onMembership: (membership: Membership) => void): Promise<void> {
    this.#listener = onMembership;
    onMembership(this.#current);
    return Promise.resolve();
  }

  /** Publishes a new membership, as the operator does by rewriting the ConfigMap. */
  update(membership: Membership): void {
    this.#current = membership;
    this.#listener?.(membership);
  }

  stop(): Promise<void> {
    this.#listener = undefined;
    return Promise.resolve();
  }
}

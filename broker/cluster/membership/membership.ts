/**
 * How a broker learns the membership it adopts (`{epoch, members}`, whose format and parsing
 * live in contract/membership.ts, shared with the operator).
 */
import type { Member, Membership } from "../../../contract/membership.ts";

export type { Member, Membership };

/** Delivers the current membership and every later one, in epoch order. */
export interface MembershipSource {
  /** Starts delivering; `onMembership` is called for each new membership. */
  start(onMembership: (membership: Membership) => void): Promise<void>;
  stop(): Promise<void>;
}

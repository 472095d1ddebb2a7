/**
 * Rendezvous (highest random weight) hashing: each subject belongs to the
 * member whose hash of (member name, subject) is highest. Adding or removing
 * a member moves only the subjects it wins or held (about 1/N of them), and
 * every broker with the same member list computes the same owner.
 */
import { hash } from "node:crypto";

/** A 64-bit score for the pair, from the first 8 bytes of its SHA-1. */
function score(memberName: string, subject: string): bigint {
  return Buffer.from(hash("sha1", `${memberName}\u0000${subject}`, "buffer")).readBigUInt64BE(0);
}

/** The member that owns `subject`, or undefined when there are no members. Ties go to the smaller name. */
export function rendezvousOwner<M extends { readonly name: string }>(
  subject: string,
  members: readonly M[],
): M | undefined {
  if (members.length <= 1) return members[0];
  let best: M | undefined;
  let bestScore = -1n;
  for (const member of members) {
    const value = score(member.name, subject);
    if (
      value > bestScore ||
      (value === bestScore && best !== undefined && member.name < best.name)
    ) {
      best = member;
      bestScore = value;
    }
  }
  return best;
}

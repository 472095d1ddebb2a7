/**
 * The membership a broker adopts: `{epoch, members}` as the operator publishes
 * it (schema shared with the operator), and the sources that deliver it.
 */
import { z } from "zod";
import {
  type Member,
  type Membership,
  membershipConfigMapKey,
  membershipSchema,
} from "../../../contract/membership.ts";

export type { Member, Membership };

/** Delivers the current membership and every later one, in epoch order. */
export interface MembershipSource {
  /** Starts delivering; `onMembership` is called for each new membership. */
  start(onMembership: (membership: Membership) => void): Promise<void>;
  stop(): Promise<void>;
}

export class MembershipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MembershipFormatError";
  }
}

/** Parses the `membership.json` key of the membership ConfigMap's data. */
export function parseMembershipConfigMap(data: Record<string, string> | undefined): Membership {
  const text = data?.[membershipConfigMapKey];
  if (text === undefined) throw new MembershipFormatError(`no ${membershipConfigMapKey} key`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MembershipFormatError(`${membershipConfigMapKey} is not JSON`);
  }
  const parsed = membershipSchema.safeParse(json);
  if (!parsed.success) {
    throw new MembershipFormatError(`${membershipConfigMapKey}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

const memberListSchema = z.array(membershipSchema.shape.members.element);

/**
 * HERALD_CLUSTER_MEMBERS for static clusters outside Kubernetes: the membership
 * JSON, a JSON array of members (epoch 1), or `name=host:port,…` (epoch 1).
 */
export function parseStaticMembers(text: string): Membership {
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      throw new MembershipFormatError("expected JSON or name=host:port,…");
    }
    const parsed = Array.isArray(json)
      ? memberListSchema.safeParse(json).data
      : membershipSchema.safeParse(json).data;
    if (parsed === undefined) {
      throw new MembershipFormatError(
        "expected {epoch, members:[{name, address}]} or [{name, address}]",
      );
    }
    return Array.isArray(parsed) ? { epoch: 1, members: parsed } : parsed;
  }
  const members = trimmed
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const match = /^([^=]+)=(.+:\d{1,5})$/.exec(entry);
      if (!match?.[1] || !match[2]) {
        throw new MembershipFormatError(`expected name=host:port, got ${JSON.stringify(entry)}`);
      }
      return { name: match[1], address: match[2] };
    });
  if (members.length === 0) throw new MembershipFormatError("no members");
  return { epoch: 1, members };
}

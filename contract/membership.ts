import { z } from "zod";

/**
 * The cluster membership the operator publishes in the ConfigMap `<broker>-membership` and each
 * broker watches (docs/architecture.md#cluster-protocol). It is the one contract between the two programs besides env, so
 * both parse it with this schema.
 */
export const membershipSchema = z.object({
  epoch: z.int().min(0).describe("Increases with every change of the member list."),
  members: z
    .array(
      z.object({
        name: z.string().min(1).describe("Pod name, which the broker knows from POD_NAME."),
        address: z
          .string()
          .min(1)
          .describe("host:port where clients reach the member (ClusterMembers answers it)."),
        clusterAddress: z
          .string()
          .min(1)
          .optional()
          .describe(
            "host:port of the member's cluster listener (forwarding, handoff); absent: address.",
          ),
      }),
    )
    .describe("Brokers that own subjects in this epoch, by rendezvous hashing."),
});

export type Membership = z.infer<typeof membershipSchema>;
export type Member = Membership["members"][number];

/** Where another member calls this one: its cluster listener, or its client address without one. */
export function peerAddress(member: Member): string {
  return member.clusterAddress ?? member.address;
}

/** Key of the membership JSON in the ConfigMap. */
export const membershipConfigMapKey = "membership.json";

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

/** HERALD_CLUSTER_MEMBERS: the text parseStaticMembers reads, encoded as the membership JSON. */
export const brokerEnvMembers = z.codec(z.string(), membershipSchema, {
  decode: (raw, ctx) => {
    try {
      return parseStaticMembers(raw);
    } catch (err) {
      if (!(err instanceof MembershipFormatError)) throw err;
      ctx.issues.push({ code: "custom", message: err.message, input: raw });
      return z.NEVER;
    }
  },
  encode: (membership) => JSON.stringify(membership),
});

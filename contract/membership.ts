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
        address: z.string().min(1).describe("host:port of the member's gRPC listener."),
      }),
    )
    .describe("Brokers that own subjects in this epoch, by rendezvous hashing."),
});

export type Membership = z.infer<typeof membershipSchema>;
export type Member = Membership["members"][number];

/** Key of the membership JSON in the ConfigMap. */
export const membershipConfigMapKey = "membership.json";

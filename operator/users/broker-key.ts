import type { KubernetesObject } from "@kubernetes/client-node";
import { z } from "zod";

const userRefSchema = z.object({
  metadata: z.object({ namespace: z.string() }),
  spec: z.object({ broker: z.string().min(1) }),
});

/**
 * The work-queue key (`namespace/name`) of the MessageBroker a MessageBrokerUser belongs to:
 * every change to a user, its deletion included, re-renders that broker's auth file. spec.broker
 * is immutable, so the deleted object names the same broker the user was added to.
 */
export function brokerKeyOfUser(user: KubernetesObject): string | undefined {
  const parsed = userRefSchema.safeParse(user);
  return parsed.success
    ? `${parsed.data.metadata.namespace}/${parsed.data.spec.broker}`
    : undefined;
}

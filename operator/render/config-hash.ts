import { createHash } from "node:crypto";
import { stringify } from "safe-stable-stringify";

export const configHashAnnotation = "herald.dev/config-hash";

/**
 * Hash of the configuration the pods read from ConfigMaps at start. Placed on the pod template,
 * it rolls the pods when that configuration changes. Its inputs must be restart-worthy only:
 * never replicas or membership, which the brokers take live.
 */
export function configHash(inputs: Record<string, Record<string, string> | undefined>): string {
  return createHash("sha256").update(stringify(inputs)).digest("hex").slice(0, 16);
}

import { createHash } from "node:crypto";
import {
  PatchStrategy,
  type KubernetesObject,
  type KubernetesObjectApi,
} from "@kubernetes/client-node";
import { stringify } from "safe-stable-stringify";
import { isSemanticSubset } from "./semantic-subset.ts";
import { toWire } from "../../lib/kube/wire-format.ts";

export const fieldManager = "herald-operator";

/**
 * Hash of the last applied desired object. It catches what a subset check cannot: a field the
 * operator applied before and no longer renders must be applied away.
 */
export const appliedHashAnnotation = "herald.dev/applied-hash";

/** `desired` with the hash of its own content (as sent) in the applied-hash annotation. */
export function withAppliedHash<T extends KubernetesObject>(desired: T): T {
  const hash = createHash("sha256")
    .update(stringify(toWire(desired)))
    .digest("hex")
    .slice(0, 16);
  const metadata = desired.metadata ?? {};
  return {
    ...desired,
    metadata: {
      ...metadata,
      annotations: { ...metadata.annotations, [appliedHashAnnotation]: hash },
    },
  };
}

/**
 * Whether applying `desired` (client-node model shape, already carrying its hash) could change
 * `live` (wire shape, from the cache). False keeps the
 * steady state free of writes: the same content was applied before, and nobody has changed a
 * field of it since (drift shows as a field that no longer matches).
 */
export function needsApply(desired: KubernetesObject, live: KubernetesObject | undefined): boolean {
  if (!live) return true;
  const wanted = desired.metadata?.annotations?.[appliedHashAnnotation];
  if (live.metadata?.annotations?.[appliedHashAnnotation] !== wanted) return true;
  return !isSemanticSubset(toWire(desired), live);
}

/** Server-side apply as herald-operator, taking over conflicting fields (force). */
export async function serverSideApply(
  api: KubernetesObjectApi,
  desired: KubernetesObject,
): Promise<void> {
  await api.patch(desired, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
}

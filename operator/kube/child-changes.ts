import type { KubernetesObject } from "@kubernetes/client-node";
import { createHash } from "node:crypto";
import { stringify } from "safe-stable-stringify";

/** Kinds whose status a reconcile reads (operator/status/workload.ts); others' status is noise. */
const statusRead = new Set(["apps/v1 StatefulSet"]);

/**
 * Which child events can change what a reconcile of its broker does. Controllers rewrite the
 * status of children many times as pods come and go (a PodDisruptionBudget's on every pod
 * change), and each event used to reconcile the broker again: a fleet of brokers kept the operator
 * rendering and comparing for minutes after it had converged, to no effect. An event counts when
 * the child appeared, went, or changed in anything but its resourceVersion and an unread status.
 */
export class ChildChanges {
  /** A digest of what was last seen of each cached child, by kind id, namespace and name. */
  readonly #seen = new Map<string, string>();

  /** Whether this event for `child` matters; `cached` is whether the cache still holds it. */
  changed(kindId: string, child: KubernetesObject, cached: boolean): boolean {
    const key = `${kindId}/${child.metadata?.namespace ?? ""}/${child.metadata?.name ?? ""}`;
    if (!cached) {
      this.#seen.delete(key);
      return true;
    }
    const digest = digestOf(kindId, child);
    if (this.#seen.get(key) === digest) return false;
    this.#seen.set(key, digest);
    return true;
  }
}

function digestOf(kindId: string, child: KubernetesObject): string {
  const content: Record<string, unknown> = { ...child, metadata: { ...child.metadata } };
  delete (content.metadata as Record<string, unknown>).resourceVersion;
  if (!statusRead.has(kindId)) delete content.status;
  return createHash("sha1").update(stringify(content)).digest("base64");
}

import type { KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { describeApiError } from "../../lib/kube/api-error.ts";
import { needsApply, withAppliedHash } from "../kube/apply.ts";
import { kindId } from "../../lib/kube/resource-kind.ts";
import type { ClusterWriter } from "../kube/writer.ts";
import type { StatefulSetChange } from "./transition-events.ts";

export interface ChildCaches {
  watches(kindId: string): boolean;
  child(kindId: string, namespace: string, name: string): KubernetesObject | undefined;
  ownedBy(namespace: string, ownerUid: string): KubernetesObject[];
}

export interface ChildrenResult {
  /** First failure, as one line for the Degraded condition; undefined when all went through. */
  error: string | undefined;
  /** Children skipped because their kind's cache is still syncing: retry soon. */
  waiting: boolean;
  brokerStatefulSet: StatefulSetChange;
  writes: number;
  /** Children applied over a live copy that differed, as applied (with their applied hash). */
  updated: KubernetesObject[];
}

const identity = (object: KubernetesObject) => `${kindId(object)}/${object.metadata?.name ?? ""}`;

export const replicasOf = (object: KubernetesObject | undefined) =>
  (object as { spec?: { replicas?: number } } | undefined)?.spec?.replicas;

/**
 * Brings the owned children to `desired`: applies each one whose live copy differs (in render
 * order) and deletes owned children no longer rendered. Keeps going past a failure so one bad
 * child does not hold back the others; reports the first.
 */
export async function syncChildren(options: {
  desired: KubernetesObject[];
  namespace: string;
  ownerUid: string;
  brokerStatefulSetName: string;
  caches: ChildCaches;
  writer: ClusterWriter;
  log: Logger;
}): Promise<ChildrenResult> {
  const { desired, namespace, ownerUid, caches, writer, log } = options;
  const result: ChildrenResult = {
    error: undefined,
    waiting: false,
    brokerStatefulSet: { created: false },
    writes: 0,
    updated: [],
  };
  const fail = (action: string, object: KubernetesObject, err: unknown) => {
    const reason = describeApiError(err);
    log.warn({ child: identity(object), reason }, `${action} failed`);
    result.error ??= `${action} ${object.kind ?? ""} ${object.metadata?.name ?? ""}: ${reason}`;
  };

  for (const child of desired) {
    const id = kindId(child);
    if (!caches.watches(id)) {
      result.waiting = true;
      continue;
    }
    const wanted = withAppliedHash(child);
    const live = caches.child(id, namespace, child.metadata?.name ?? "");
    if (!needsApply(wanted, live)) continue;
    try {
      await writer.apply(wanted);
      result.writes++;
      if (live) result.updated.push(wanted);
      log.info({ child: identity(child), created: !live }, "applied child");
      if (child.kind === "StatefulSet" && child.metadata?.name === options.brokerStatefulSetName) {
        noteBrokerStatefulSet(result.brokerStatefulSet, live, child);
      }
    } catch (err) {
      fail("applying", child, err);
    }
  }

  const wanted = new Set(desired.map(identity));
  for (const child of caches.ownedBy(namespace, ownerUid)) {
    if (wanted.has(identity(child)) || child.metadata?.deletionTimestamp) continue;
    try {
      await writer.delete(child);
      result.writes++;
      log.info({ child: identity(child) }, "deleted child no longer wanted");
    } catch (err) {
      fail("deleting", child, err);
    }
  }
  return result;
}

function noteBrokerStatefulSet(
  change: StatefulSetChange,
  live: KubernetesObject | undefined,
  applied: KubernetesObject,
): void {
  if (!live) {
    change.created = true;
    return;
  }
  const from = replicasOf(live);
  const to = replicasOf(applied);
  if (from !== undefined && to !== undefined && from !== to) change.scaled = { from, to };
}

import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { resolveStore } from "../render/store.ts";
import { labelSelector } from "../render/index.ts";

/**
 * Deletes the managed store's volumes when a MessageBroker with deletionPolicy Delete goes.
 * Garbage collection removes every child but never a StatefulSet's PersistentVolumeClaims
 * unless the cluster honours the StatefulSet's retention policy; this makes Delete hold on
 * any cluster. Retain needs no finalizer: nothing deletes the claims.
 */
export const pvcCleanupFinalizer = "herald.dev/pvc-cleanup";

/** The managed store whose volumes the broker owns, if any. */
function managedStoreComponent(broker: MessageBroker): "postgres" | "cassandra" | undefined {
  const store = resolveStore(broker.spec.storage);
  return store.type !== "memory" && "managed" in store ? store.type : undefined;
}

export function needsPvcCleanup(broker: MessageBroker): boolean {
  return broker.spec.deletionPolicy === "Delete" && managedStoreComponent(broker) !== undefined;
}

/** Label selector of the claims to delete: the StatefulSet controller copies the pod selector onto them. */
export function claimSelector(broker: MessageBroker): string | undefined {
  const component = managedStoreComponent(broker);
  if (!component) return undefined;
  return labelSelector(broker, component);
}

/** Finalizers herald-operator should own on `broker`: only the PVC cleanup, only when needed. */
export function wantedFinalizers(broker: MessageBroker): string[] {
  return needsPvcCleanup(broker) ? [pvcCleanupFinalizer] : [];
}

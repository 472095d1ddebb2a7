import type {
  V1PersistentVolumeClaim,
  V1StatefulSetPersistentVolumeClaimRetentionPolicy,
} from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";

export const dataVolume = "data";

/** The data volume template of a managed store's StatefulSet. */
export function dataVolumeClaim(
  size: string,
  storageClassName: string | undefined,
): V1PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: dataVolume },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: size } },
      ...(storageClassName ? { storageClassName } : {}),
    },
  };
}

/**
 * spec.deletionPolicy, carried out by the StatefulSet controller: with Delete it makes the PVCs
 * owned by the StatefulSet, so garbage collection removes them with it; Retain keeps them.
 * Scaling in never deletes data.
 */
export function claimRetention(
  broker: MessageBroker,
): V1StatefulSetPersistentVolumeClaimRetentionPolicy {
  return { whenDeleted: broker.spec.deletionPolicy, whenScaled: "Retain" };
}

import { z } from "zod";

/** The fields of a StatefulSet that status is computed from, parsed from the informer cache. */
const statefulSetSchema = z.looseObject({
  metadata: z.looseObject({ generation: z.int().optional() }),
  spec: z.looseObject({ replicas: z.int().optional() }),
  status: z
    .looseObject({
      observedGeneration: z.int().optional(),
      replicas: z.int().default(0),
      readyReplicas: z.int().default(0),
      updatedReplicas: z.int().default(0),
      currentRevision: z.string().optional(),
      updateRevision: z.string().optional(),
    })
    .prefault({}),
});

/** What the operator observes of a StatefulSet's rollout. */
export interface Workload {
  /** Replicas the StatefulSet is asked for. */
  desired: number;
  /** Pods that exist. */
  current: number;
  ready: number;
  /** Whether the StatefulSet controller has acted on the latest spec and every pod runs it. */
  rolledOut: boolean;
}

export function observeStatefulSet(object: unknown): Workload | undefined {
  const parsed = statefulSetSchema.safeParse(object);
  if (!parsed.success) return undefined;
  const { metadata, spec, status } = parsed.data;
  const desired = spec.replicas ?? 1;
  const observedLatest = (status.observedGeneration ?? 0) >= (metadata.generation ?? 0);
  const revisionsMatch =
    status.updateRevision === undefined || status.currentRevision === status.updateRevision;
  return {
    desired,
    current: status.replicas,
    ready: status.readyReplicas,
    rolledOut:
      observedLatest &&
      revisionsMatch &&
      status.updatedReplicas >= desired &&
      status.replicas === desired,
  };
}

/**
 * What a worker tells the primary that started it, over the process channel: whether it is ready
 * and which membership it adopted. The primary answers /readyz and /cluster for the pod from these
 * (docs/architecture.md#workers).
 */
import { z } from "zod";
import { membershipSchema } from "../../contract/membership.ts";

export const workerStatusSchema = z.object({
  kind: z.literal("herald-worker-status"),
  index: z.int().min(0),
  /** Undefined while the worker is ready. */
  notReadyReason: z.string().optional(),
  cluster: z.object({
    epoch: z.int().min(0),
    self: z.string(),
    members: membershipSchema.shape.members,
  }),
});

export type WorkerStatus = z.infer<typeof workerStatusSchema>;

/** Why the pod is not ready: its first worker that has not reported or is not ready. */
export function podNotReadyReason(
  statuses: readonly (WorkerStatus | undefined)[],
): string | undefined {
  for (const [index, status] of statuses.entries()) {
    if (status === undefined) return `worker ${index} is starting`;
    if (status.notReadyReason !== undefined) return `worker ${index}: ${status.notReadyReason}`;
  }
  return undefined;
}

/**
 * The pod's `/cluster`: the lowest epoch any worker has adopted (0 until each has reported), so
 * the operator's wait for an epoch covers every worker, and the membership of that worker.
 */
export function podClusterSnapshot(pod: string, statuses: readonly (WorkerStatus | undefined)[]) {
  const reported = statuses.filter((status) => status !== undefined);
  const lowest = reported.reduce<WorkerStatus | undefined>(
    (low, status) => (low === undefined || status.cluster.epoch < low.cluster.epoch ? status : low),
    undefined,
  );
  const complete = reported.length === statuses.length;
  return {
    epoch: complete ? (lowest?.cluster.epoch ?? 0) : 0,
    members: lowest?.cluster.members ?? [],
    self: pod,
    workers: statuses.map((status) => status?.cluster ?? null),
  };
}

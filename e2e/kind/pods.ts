/** Reading `kubectl get pods -o json` for the operator restart; pure. */
import { z } from "zod";

const PodListSchema = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string(), deletionTimestamp: z.string().optional() }),
      status: z
        .object({
          conditions: z.array(z.object({ type: z.string(), status: z.string() })).optional(),
        })
        .optional(),
    }),
  ),
});

export interface PodState {
  name: string;
  terminating: boolean;
  ready: boolean;
}

export function parsePods(json: string): PodState[] {
  return PodListSchema.parse(JSON.parse(json)).items.map(({ metadata, status }) => ({
    name: metadata.name,
    terminating: metadata.deletionTimestamp !== undefined,
    ready: status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
  }));
}

/** A Ready pod that is not one of `replaced` and not on its way out, if there is one. */
export function readyReplacement(
  pods: readonly PodState[],
  replaced: readonly string[],
): string | undefined {
  return pods.find((pod) => pod.ready && !pod.terminating && !replaced.includes(pod.name))?.name;
}

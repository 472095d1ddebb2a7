/** Reading `kubectl get pods -o json` for the operator restart (pure), and the restart itself. */
import { z } from "zod";
import { until } from "../../testing/until.ts";
import { operatorSelector } from "./settings.ts";

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

/**
 * Kills the chart's operator pods without any cleanup and waits for the Deployment's Ready
 * replacement. `inRelease` runs kubectl in the release's namespace.
 */
export async function killOperatorPod(
  inRelease: (args: readonly string[]) => Promise<string>,
): Promise<void> {
  const list = ["get", "pods", "-l", operatorSelector, "-o", "json"];
  const killed = parsePods(await inRelease(list))
    .filter((pod) => !pod.terminating)
    .map((pod) => pod.name);
  if (killed.length === 0) throw new Error(`no operator pod matches ${operatorSelector}`);
  // Forced: the pod object goes at once, no SIGTERM grace, no Lease released.
  await inRelease(["delete", "pod", ...killed, "--grace-period=0", "--force", "--wait=false"]);
  await until(
    "a new operator pod Ready",
    async () => readyReplacement(parsePods(await inRelease(list)), killed),
    { timeoutMs: 180_000, intervalMs: 500 },
  );
}

/**
 * What a failed `make e2e-node` leaves behind for CI to upload: every pod's logs and the cluster's
 * pods and events, written before node-down removes them. The components' own logs stay in
 * .herald/node/<daemon>.log.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { runCommand } from "../chart/tools.ts";

const PodList = z.object({
  items: z.array(z.object({ metadata: z.object({ name: z.string(), namespace: z.string() }) })),
});

/** At most this many pods' logs: a run that failed creating pods in a loop still ends. */
const maxPods = 100;

export async function exportClusterLogs(
  kubectl: string,
  kubeconfig: string,
  dir: string,
): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const get = async (args: string[]) => {
    const result = await runCommand(kubectl, ["--kubeconfig", kubeconfig, ...args], {
      timeoutMs: 20_000,
    });
    return result.stdout + result.stderr;
  };
  await writeFile(join(dir, "pods.txt"), await get(["get", "pods", "-A", "-o", "wide"]));
  await writeFile(
    join(dir, "events.txt"),
    await get(["get", "events", "-A", "--sort-by=.lastTimestamp"]),
  );
  const parsed = PodList.safeParse(
    JSON.parse((await get(["get", "pods", "-A", "-o", "json"])) || "{}"),
  );
  const pods = parsed.success ? parsed.data.items.slice(0, maxPods) : [];
  for (const { metadata } of pods) {
    const logs = await get([
      "logs",
      "-n",
      metadata.namespace,
      metadata.name,
      "--all-containers",
      "--prefix",
      "--tail=2000",
    ]);
    await writeFile(join(dir, `${metadata.namespace}_${metadata.name}.log`), logs);
  }
}

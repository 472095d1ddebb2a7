import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { run } from "../../../../testing/run.ts";
import { renderCoreDns, renderStorage, volumeCount, volumeDir, volumeName } from "./addons.ts";
import { paths } from "./layout.ts";

const part = "node";

const PvList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string() }),
      status: z.object({ phase: z.string().optional() }).optional(),
    }),
  ),
});

export async function addonsUp(kubectlBin: string): Promise<void> {
  const kubectl = (args: string[]) =>
    run(kubectlBin, ["--kubeconfig", paths.kubeconfig("admin"), ...args], {
      part,
      remedy: `see ${paths.logFile("kube-apiserver")} and ${paths.logFile("kubelet")}`,
    });
  // A volume a deleted claim released keeps the old data: replace it empty.
  const pvs = PvList.parse(JSON.parse(await kubectl(["get", "pv", "-o", "json"])));
  for (let i = 0; i < volumeCount; i++) {
    const pv = pvs.items.find((p) => p.metadata.name === volumeName(i));
    const phase = pv?.status?.phase;
    if (phase === "Released" || phase === "Failed") {
      await kubectl(["delete", "pv", volumeName(i), "--wait=true", "--timeout=30s"]);
      await rm(volumeDir(i), { recursive: true, force: true });
    }
    await mkdir(volumeDir(i), { recursive: true });
  }
  const list = { apiVersion: "v1", kind: "List", items: [...renderStorage(), ...renderCoreDns()] };
  const manifest = join(paths.dir, "addons.json");
  await writeFile(manifest, JSON.stringify(list));
  await kubectl(["apply", "-f", manifest]);
  await kubectl(["-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=120s"]);
}

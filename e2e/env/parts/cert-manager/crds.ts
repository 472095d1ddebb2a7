import { readdir, readFile, rename, rm, mkdir, copyFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";

/**
 * cert-manager's CRDs as its module ships them (deploy/crds), which are Helm
 * templates: the `{{ … }}` lines are the chart's conditionals (YAML comments)
 * and its label values. Dropping those lines leaves the plain CRDs; the labels
 * get the values the chart would render.
 */
const Crd = z.looseObject({
  apiVersion: z.literal("apiextensions.k8s.io/v1"),
  kind: z.literal("CustomResourceDefinition"),
  metadata: z.looseObject({ name: z.string().endsWith(".cert-manager.io") }),
  spec: z.looseObject({ group: z.string() }),
});
export type Crd = z.infer<typeof Crd>;

const labels = { app: "cert-manager", "app.kubernetes.io/name": "cert-manager" };

export function renderCrd(template: string): Crd {
  const plain = template
    .split("\n")
    .filter((line) => !line.includes("{{"))
    .join("\n");
  const crd = Crd.parse(parse(plain));
  return { ...crd, metadata: { ...crd.metadata, labels } };
}

const crdFile = /^crd-[a-z]+\.yaml$/;

/**
 * The CRD templates of one cert-manager version, copied once from the module
 * source into `cacheCrdDir`, so a warm start needs neither Go nor the proxy.
 */
export async function crdTemplates(
  cacheCrdDir: string,
  moduleSource: () => Promise<string>,
): Promise<string[]> {
  const cached = await readdir(cacheCrdDir).catch(() => []);
  if (!cached.some((f) => crdFile.test(f))) {
    const from = join(await moduleSource(), "deploy", "crds");
    const tmp = `${cacheCrdDir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    for (const f of (await readdir(from)).filter((f) => crdFile.test(f))) {
      await copyFile(join(from, f), join(tmp, f));
    }
    await rm(cacheCrdDir, { recursive: true, force: true });
    await rename(tmp, cacheCrdDir);
  }
  const files = (await readdir(cacheCrdDir)).filter((f) => crdFile.test(f)).sort();
  return Promise.all(files.map((f) => readFile(join(cacheCrdDir, f), "utf8")));
}

// Writes crds/herald.dev_messagebrokers.yaml and the Helm chart's copy from the zod API
// (`npm run crd:generate`).
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chartCrdFile, crdFile, crdYaml } from "./crd-file.ts";

const yaml = crdYaml();
for (const file of [crdFile, chartCrdFile]) {
  await mkdir(new URL(".", file), { recursive: true });
  await writeFile(file, yaml);
  console.error(`wrote ${fileURLToPath(file)}`);
}

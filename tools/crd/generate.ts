// Writes crds/herald.dev_messagebrokers.yaml, the Helm chart's copy and the Markdown reference
// crds/README.md from the zod API (`npm run crd:generate`).
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chartCrdFile, crdFile, crdYaml } from "./crd-file.ts";
import { referenceFile, referenceMarkdown } from "./reference-file.ts";

const yaml = crdYaml();
const outputs: [URL, string][] = [
  [crdFile, yaml],
  [chartCrdFile, yaml],
  [referenceFile, await referenceMarkdown()],
];
for (const [file, text] of outputs) {
  await mkdir(new URL(".", file), { recursive: true });
  await writeFile(file, text);
  console.error(`wrote ${fileURLToPath(file)}`);
}

// Writes every CRD under crds/ (crds/herald.dev_<plural>.yaml), the Helm chart's copies and the
// Markdown references (crds/README.md, crds/messagebrokeruser.md) from the zod API
// (`npm run crd:generate`).
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { crdFiles } from "./crd-file.ts";
import { referenceFiles } from "./reference-file.ts";

const outputs: [URL, string][] = [
  ...crdFiles().flatMap(({ file, chartFile, yaml }): [URL, string][] => [
    [file, yaml],
    [chartFile, yaml],
  ]),
  ...(await Promise.all(
    referenceFiles.map(async (reference): Promise<[URL, string]> => [
      reference.file,
      await reference.markdown(),
    ]),
  )),
];
for (const [file, text] of outputs) {
  await mkdir(new URL(".", file), { recursive: true });
  await writeFile(file, text);
  console.error(`wrote ${fileURLToPath(file)}`);
}

// Writes crds/herald.dev_messagebrokers.yaml from the zod API (`npm run crd:generate`).
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { crdFile, crdYaml } from "./crd-file.ts";

await writeFile(crdFile, crdYaml());
console.error(`wrote ${fileURLToPath(crdFile)}`);

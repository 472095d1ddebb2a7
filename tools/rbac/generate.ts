// Writes charts/herald/files/operator-rbac.yaml from operator/rbac/rules.ts (`npm run rbac:generate`).
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { rbacFile, rbacYaml } from "./rbac-file.ts";

await writeFile(rbacFile, rbacYaml());
console.error(`wrote ${fileURLToPath(rbacFile)}`);

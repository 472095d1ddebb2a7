import { generatedYaml } from "../generated-yaml.ts";
import { operatorRbac } from "../../operator/rbac/rules.ts";

/** The chart reads the rules from here (`.Files.Get`), so chart and tests share one list. */
export const rbacFile = new URL("../../charts/herald/files/operator-rbac.yaml", import.meta.url);

export function rbacYaml(): string {
  return generatedYaml(operatorRbac, "npm run rbac:generate");
}

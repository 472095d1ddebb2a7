import { generatedYaml } from "../generated-yaml.ts";
import { messageBrokerCrd } from "../../operator/crd/messagebroker-crd.ts";

export const crdFile = new URL("../../crds/herald.dev_messagebrokers.yaml", import.meta.url);

/** The Helm chart's copy (Helm installs only CRDs inside the chart); the chart tests check it. */
export const chartCrdFile = new URL(
  "../../charts/herald/crds/herald.dev_messagebrokers.yaml",
  import.meta.url,
);

export function crdYaml(): string {
  return generatedYaml(messageBrokerCrd(), "npm run crd:generate");
}

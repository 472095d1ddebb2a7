import { generatedYaml } from "../codegen/generated-yaml.ts";
import { messageBrokerCrd } from "./messagebroker-crd.ts";

export const crdFile = new URL("../../crds/herald.dev_messagebrokers.yaml", import.meta.url);

export function crdYaml(): string {
  return generatedYaml(messageBrokerCrd(), "npm run crd:generate");
}

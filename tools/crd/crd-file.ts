import { generatedYaml } from "../generated-yaml.ts";
import { heraldCrds } from "../../operator/crd/crds.ts";
import type { CustomResourceDefinition } from "../../operator/crd/custom-resource.ts";

export interface CrdFile {
  crd: CustomResourceDefinition;
  /** Under crds/, where users apply it from. */
  file: URL;
  /** The Helm chart's copy (Helm installs only CRDs inside the chart); the chart tests check it. */
  chartFile: URL;
  yaml: string;
}

/** Every CRD as committed: `crds/<group>_<plural>.yaml` and the chart's copy. */
export function crdFiles(): CrdFile[] {
  return heraldCrds().map((crd) => {
    const name = `${crd.spec.group}_${crd.spec.names.plural}.yaml`;
    return {
      crd,
      file: new URL(`../../crds/${name}`, import.meta.url),
      chartFile: new URL(`../../charts/herald/crds/${name}`, import.meta.url),
      yaml: generatedYaml(crd, "npm run crd:generate"),
    };
  });
}

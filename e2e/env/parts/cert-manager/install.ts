import {
  ApiextensionsV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { fromWire } from "../../../../lib/kube/wire-format.ts";
import { until } from "../../../../testing/until.ts";
import type { Crd } from "./crds.ts";

const fieldManager = "herald-test-env";

/**
 * Server-side applies the CRDs and then `objects` (so an object may be of a
 * kind a CRD defines), waiting until each CRD is Established. Idempotent.
 */
export async function install(
  kubeconfig: string,
  crds: Crd[],
  objects: KubernetesObject[],
): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  const apply = (object: KubernetesObject) =>
    api.patch(
      fromWire(object),
      undefined,
      undefined,
      fieldManager,
      true,
      PatchStrategy.ServerSideApply,
    );
  for (const crd of crds) await apply(crd);
  for (const crd of crds) {
    await until(
      `CRD ${crd.metadata.name} Established`,
      async () => {
        const { status } = await extensions.readCustomResourceDefinition({
          name: crd.metadata.name,
        });
        return status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }
  for (const object of objects) await apply(object);
}

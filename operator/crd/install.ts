import { setTimeout as sleep } from "node:timers/promises";
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from "@kubernetes/client-node";
import { z } from "zod";
import { heraldCrds } from "./crds.ts";

const crdPath = (name: string) => ({
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  name,
});

const establishedSchema = z.object({
  status: z
    // A CRD created a moment ago reports `conditions: null` until its controller has run.
    .object({ conditions: z.array(z.object({ type: z.string(), status: z.string() })).nullish() })
    .optional(),
});

/**
 * Server-side applies every herald.dev CRD and waits until each is Established, for `make dev`
 * and tests. It goes through the custom-objects client on purpose: the typed client's
 * serializer knows CRD fields by their TypeScript names and silently drops wire-named ones such
 * as `x-kubernetes-validations` and `default`.
 */
export async function applyHeraldCrds(
  kubeConfig: KubeConfig,
  fieldManager: string,
  timeoutMs = 30_000,
): Promise<void> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const crds = heraldCrds();
  for (const crd of crds) {
    await api.patchClusterCustomObject(
      { ...crdPath(crd.metadata.name), body: crd, fieldManager, force: true },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    );
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const path = crdPath(crd.metadata.name);
    while (!(await established(api, path))) {
      if (Date.now() > deadline)
        throw new Error(`CRD ${path.name} not Established within ${timeoutMs} ms`);
      await sleep(100);
    }
  }
}

async function established(
  api: CustomObjectsApi,
  path: ReturnType<typeof crdPath>,
): Promise<boolean> {
  const { status } = establishedSchema.parse(await api.getClusterCustomObject(path));
  return status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
}

import { setTimeout as sleep } from "node:timers/promises";
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from "@kubernetes/client-node";
import { z } from "zod";
import { crdName, messageBrokerCrd } from "./messagebroker-crd.ts";

const crdPath = {
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  name: crdName,
};

const establishedSchema = z.object({
  status: z
    // A CRD created a moment ago reports `conditions: null` until its controller has run.
    .object({ conditions: z.array(z.object({ type: z.string(), status: z.string() })).nullish() })
    .optional(),
});

/**
 * Server-side applies the MessageBroker CRD and waits until it is Established, for `make dev`
 * and tests. It goes through the custom-objects client on purpose: the typed client's
 * serializer knows CRD fields by their TypeScript names and silently drops wire-named ones such
 * as `x-kubernetes-validations` and `default`.
 */
export async function applyMessageBrokerCrd(
  kubeConfig: KubeConfig,
  fieldManager: string,
  timeoutMs = 30_000,
): Promise<void> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  await api.patchClusterCustomObject(
    { ...crdPath, body: messageBrokerCrd(), fieldManager, force: true },
    setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { status } = establishedSchema.parse(await api.getClusterCustomObject(crdPath));
    if (status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) return;
    await sleep(100);
  }
  throw new Error(`CRD ${crdName} not Established within ${timeoutMs} ms`);
}

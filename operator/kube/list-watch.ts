import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type KubernetesObjectApi,
} from "@kubernetes/client-node";
import { apiVersionOf, collectionPath, type ResourceKind } from "./resource-kind.ts";
import type { ListWatchLike } from "./supervised-informer.ts";

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * A client-node ListWatch over one kind, in one namespace or (namespace undefined) all of them.
 * Listed items are made to look like watch events, so cached objects have one shape: plain JSON
 * (typed lists carry Date objects where events carry RFC 3339 strings), with apiVersion and kind
 * (which the API server leaves out of list items).
 */
export function makeListWatch<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  objects: KubernetesObjectApi,
  resource: ResourceKind,
  namespace: string | undefined,
  selectors: Selectors = {},
): ListWatchLike<T> {
  const { labelSelector, fieldSelector } = selectors;
  const list = async (): Promise<KubernetesListObject<T>> => {
    const typed = await objects.list<T>(
      apiVersionOf(resource),
      resource.kind,
      namespace,
      undefined,
      undefined,
      undefined,
      fieldSelector,
      labelSelector,
    );
    const plain = JSON.parse(JSON.stringify(typed)) as KubernetesListObject<T>;
    const typeMeta = { apiVersion: apiVersionOf(resource), kind: resource.kind };
    return { ...plain, items: plain.items.map((item) => ({ ...item, ...typeMeta })) };
  };
  const path = collectionPath(resource, namespace);
  return new ListWatch<T>(path, new Watch(kubeConfig), list, false, labelSelector, fieldSelector);
}

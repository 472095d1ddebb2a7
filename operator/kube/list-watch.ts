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
 * The list is turned into plain JSON like the watch events, so cached objects have one shape
 * (typed lists carry Date objects where watch events carry RFC 3339 strings).
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
    return JSON.parse(JSON.stringify(typed)) as KubernetesListObject<T>;
  };
  const path = collectionPath(resource, namespace);
  return new ListWatch<T>(path, new Watch(kubeConfig), list, false, labelSelector, fieldSelector);
}

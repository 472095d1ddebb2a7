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
import { toWire } from "./wire-format.ts";

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * What the cache keeps of an object: all but metadata.managedFields, often most of its size
 * and never read by the operator (controller-runtime strips it likewise).
 */
function withoutManagedFields<T>(object: T): T {
  const metadata = (object as KubernetesObject | undefined)?.metadata;
  if (!metadata?.managedFields) return object;
  const rest = { ...metadata };
  delete rest.managedFields;
  return { ...object, metadata: rest };
}

/** A Watch whose events carry cacheable objects. */
class CacheableWatch extends Watch {
  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      queryParams,
      (phase, object) => callback(phase, withoutManagedFields(object)),
      done,
    );
  }
}

/**
 * The list half of a ListWatch, shaped like the watch half's events: wire format (client-node
 * returns its model shape), with apiVersion and kind (which the API server leaves out of list
 * items), without managedFields.
 */
export function listLikeWatchEvents<T extends KubernetesObject>(
  objects: Pick<KubernetesObjectApi, "list">,
  resource: ResourceKind,
  namespace: string | undefined,
  { labelSelector, fieldSelector }: Selectors = {},
): () => Promise<KubernetesListObject<T>> {
  const typeMeta = { apiVersion: apiVersionOf(resource), kind: resource.kind };
  return async () => {
    const typed = await objects.list<T>(
      typeMeta.apiVersion,
      resource.kind,
      namespace,
      undefined,
      undefined,
      undefined,
      fieldSelector,
      labelSelector,
    );
    const items = typed.items.map((item) => withoutManagedFields(toWire({ ...item, ...typeMeta })));
    return { ...typed, items };
  };
}

/** A client-node ListWatch over one kind, in one namespace or (namespace undefined) all of them. */
export function makeListWatch<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  objects: KubernetesObjectApi,
  resource: ResourceKind,
  namespace: string | undefined,
  selectors: Selectors = {},
): ListWatchLike<T> {
  return new ListWatch<T>(
    collectionPath(resource, namespace),
    new CacheableWatch(kubeConfig),
    listLikeWatchEvents<T>(objects, resource, namespace, selectors),
    false,
    selectors.labelSelector,
    selectors.fieldSelector,
  );
}

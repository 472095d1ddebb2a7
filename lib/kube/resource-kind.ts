/** Where a Kubernetes kind lives in the REST API. */
export interface ResourceKind {
  /** "" for the core group. */
  group: string;
  version: string;
  kind: string;
  plural: string;
}

export function apiVersionOf(resource: ResourceKind): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

/** Collection path, namespaced when `namespace` is given, cluster-wide otherwise. */
export function collectionPath(resource: ResourceKind, namespace?: string): string {
  const root = resource.group
    ? `/apis/${resource.group}/${resource.version}`
    : `/api/${resource.version}`;
  const scope = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${root}${scope}/${resource.plural}`;
}

/** "apps/v1 StatefulSet": identifies a kind in logs, maps and metrics. */
export function kindId(object: { apiVersion?: string; kind?: string }): string {
  return `${object.apiVersion ?? ""} ${object.kind ?? ""}`;
}

export function resourceKindId(resource: ResourceKind): string {
  return `${apiVersionOf(resource)} ${resource.kind}`;
}

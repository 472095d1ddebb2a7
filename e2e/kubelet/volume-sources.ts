/**
 * Which ConfigMaps and Secrets a pod's mounted volumes read, and so which pods a change to one
 * of them affects: those whose volumes the kubelet rewrites (pure).
 */
import type { Container, Pod, Volume } from "./pod-schema.ts";

export interface ObjectRef {
  kind: "ConfigMap" | "Secret";
  namespace: string;
  name: string;
}

/** The volumes of `volumes` that some container of `containers` mounts. */
export function mountedVolumes(
  volumes: readonly Volume[],
  containers: readonly Container[],
): Volume[] {
  const mounted = new Set(
    containers.flatMap((container) => (container.volumeMounts ?? []).map((m) => m.name)),
  );
  return volumes.filter((volume) => mounted.has(volume.name));
}

/** The ConfigMaps and Secrets one volume reads: its own, or its projected sources'. */
function objectsOf(volume: Volume): Omit<ObjectRef, "namespace">[] {
  const configMaps = [
    volume.configMap?.name,
    ...(volume.projected?.sources ?? []).map((source) => source.configMap?.name),
  ];
  const secrets = [
    volume.secret?.secretName,
    ...(volume.projected?.sources ?? []).map((source) => source.secret?.name),
  ];
  return [
    ...configMaps.flatMap((name) => (name ? [{ kind: "ConfigMap" as const, name }] : [])),
    ...secrets.flatMap((name) => (name ? [{ kind: "Secret" as const, name }] : [])),
  ];
}

/** Every ConfigMap and Secret the pod's mounted volumes read, in its namespace. */
export function volumeObjects(pod: Pod): ObjectRef[] {
  const { namespace } = pod.metadata;
  return mountedVolumes(pod.spec.volumes ?? [], pod.spec.containers)
    .flatMap(objectsOf)
    .map((ref) => ({ ...ref, namespace }));
}

/** The pods whose volumes must be rewritten when `changed` is created, updated or deleted. */
export function podsAffectedBy(changed: ObjectRef, pods: readonly Pod[]): Pod[] {
  return pods.filter((pod) =>
    volumeObjects(pod).some(
      (ref) =>
        ref.kind === changed.kind &&
        ref.namespace === changed.namespace &&
        ref.name === changed.name,
    ),
  );
}

import type { KubernetesObject } from "@kubernetes/client-node";
import { appliedHashAnnotation } from "../kube/apply.ts";
import type { ChildNames } from "../render/names.ts";

/**
 * A kubelet refreshes a pod's Secret and ConfigMap volumes when it syncs the pod: at once on a
 * change to the pod, otherwise only on its periodic sync (a minute or more). The brokers reload
 * the auth file, their certificates and the JWKS from those volumes, so after the operator
 * changes one of them it sets this annotation on the broker pods, and a new user's token or a
 * renewed certificate reaches them within seconds instead.
 */
export const mountedRevisionAnnotation = "herald.dev/mounted-revision";

/**
 * The revision to stamp on the broker pods when this reconcile changed a child the brokers read
 * live from a volume (the auth Secret, the TLS Secret, the JWKS ConfigMap); undefined otherwise.
 * Pure.
 */
export function mountedRevision(
  updated: readonly KubernetesObject[],
  names: Pick<ChildNames, "auth" | "tls" | "jwks">,
): string | undefined {
  const live = new Set([names.auth, names.tls, names.jwks]);
  const hashes = updated
    .filter((child) => live.has(child.metadata?.name ?? ""))
    .map((child) => child.metadata?.annotations?.[appliedHashAnnotation] ?? "");
  return hashes.length > 0 ? hashes.join(".") : undefined;
}

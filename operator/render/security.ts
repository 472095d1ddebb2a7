import type { V1PodSecurityContext, V1SecurityContext } from "@kubernetes/client-node";

/** Pod-level part of the `restricted` Pod Security Standard. */
export function restrictedPodSecurityContext(user?: {
  uid: number;
  fsGroup?: number;
}): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
    ...(user ? { runAsUser: user.uid, runAsGroup: user.uid } : {}),
    ...(user?.fsGroup !== undefined ? { fsGroup: user.fsGroup } : {}),
  };
}

/**
 * Container-level part of the `restricted` standard, plus a read-only root filesystem unless an
 * image must write to its own files (the Cassandra image edits its config at start).
 */
export function restrictedContainerSecurityContext(
  options: { readOnlyRootFilesystem?: boolean } = {},
): V1SecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: options.readOnlyRootFilesystem ?? true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

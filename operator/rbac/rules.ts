import type { V1PolicyRule } from "@kubernetes/client-node";
import {
  group as brokerGroup,
  plural as brokers,
  userPlural as users,
} from "../api/v1alpha1/index.ts";
import {
  alwaysOwnedKinds,
  optionalOwnedKinds,
  persistentVolumeClaimKind,
} from "../kube/owned-kinds.ts";
import type { ResourceKind } from "../../lib/kube/resource-kind.ts";
import { serviceAccountIssuerPaths } from "../users/service-account-issuer.ts";

/**
 * The operator's permissions, in one place: the Helm chart templates the generated YAML, and
 * the operator's integration tests bind exactly these rules to its token. Least privilege: no
 * wildcards, and cluster-scoped access only to read the one CRD whose presence matters.
 */

/** Informers list and watch; server-side apply patches (and creates through patch); pruning deletes. */
const childVerbs = ["get", "list", "watch", "create", "patch", "delete"];

/** One rule per API group, for the kinds given. */
function rulesFor(kinds: readonly ResourceKind[], verbs: string[]): V1PolicyRule[] {
  const byGroup = Map.groupBy(kinds, (kind) => kind.group);
  return [...byGroup].map(([group, members]) => ({
    apiGroups: [group],
    resources: members.map((kind) => kind.plural),
    verbs,
  }));
}

/**
 * Granted in every watched namespace: cluster-wide through a ClusterRoleBinding, or per namespace
 * through RoleBindings to the same ClusterRole. Holding configmaps get/list/watch is also what lets
 * the operator create the brokers' Role (RBAC forbids granting what one does not hold).
 */
export const namespacedRules: V1PolicyRule[] = [
  { apiGroups: [brokerGroup], resources: [brokers], verbs: ["get", "list", "watch", "patch"] },
  { apiGroups: [brokerGroup], resources: [`${brokers}/status`], verbs: ["get", "patch"] },
  // Setting blockOwnerDeletion on children needs update on the owner's finalizers.
  { apiGroups: [brokerGroup], resources: [`${brokers}/finalizers`], verbs: ["update"] },
  // Users are read, never changed: their credentials Secrets and auth file are the brokers' children.
  { apiGroups: [brokerGroup], resources: [users], verbs: ["get", "list", "watch"] },
  { apiGroups: [brokerGroup], resources: [`${users}/status`], verbs: ["get", "patch"] },
  ...rulesFor([...alwaysOwnedKinds, ...optionalOwnedKinds.map(({ kind }) => kind)], childVerbs),
  // Scaling reads broker pod readiness, and the membership the workers each pod runs
  // (controller/render-context.ts); a changed auth file, certificate or JWKS is announced to
  // the brokers' kubelet by annotating their pods (controller/remount.ts); deletionPolicy Delete
  // removes managed-store claims.
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "patch"] },
  {
    apiGroups: [persistentVolumeClaimKind.group],
    resources: [persistentVolumeClaimKind.plural],
    verbs: ["list", "delete"],
  },
  { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
];

/**
 * Cluster-scoped: whether the CRDs of the optional kinds (ServiceMonitor, cert-manager's Certificate) are installed. resourceNames limits list and
 * watch to requests with `fieldSelector=metadata.name=<crd>`, which is how the operator watches it.
 * And the API server's ServiceAccount token issuer and public keys, which the brokers of
 * MessageBrokerUsers naming a ServiceAccount verify tokens with.
 */
export const clusterRules: V1PolicyRule[] = [
  {
    apiGroups: ["apiextensions.k8s.io"],
    resources: ["customresourcedefinitions"],
    resourceNames: optionalOwnedKinds.map(({ crdName }) => crdName),
    verbs: ["get", "list", "watch"],
  },
  { nonResourceURLs: serviceAccountIssuerPaths, verbs: ["get"] },
];

/** In the operator's own namespace only (a Role): the leader-election Lease. */
export const leaderElectionRules: V1PolicyRule[] = [
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
];

export const operatorRbac = {
  namespaced: namespacedRules,
  cluster: clusterRules,
  leaderElection: leaderElectionRules,
};

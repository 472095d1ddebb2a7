import {
  permissionsSchema,
  type AuthFile,
  type AuthFileUser,
  type PermissionsSpec,
} from "../../contract/auth-file.ts";
import type { MessageBrokerUser } from "../api/v1alpha1/index.ts";

/** Why a user is left out of the auth file, as its Ready condition says. */
export interface UserProblem {
  reason: string;
  message: string;
}

/** How a user proves who it is: its token's hash (and the Secret holding the token), or a ServiceAccount's tokens. */
export type UserIdentity = { tokenSha256: string; secretName: string } | { jwtSubject: string };

/** A user as the I/O side found it: its identity, or what kept its credentials from being in place. */
export type UserCredentials =
  | { user: MessageBrokerUser; identity: UserIdentity }
  | { user: MessageBrokerUser; problem: UserProblem };

export type UserVerdict =
  | { ready: true; permissions: PermissionsSpec; secretName?: string }
  | ({ ready: false } & UserProblem);

/** The JWT subject of a Kubernetes ServiceAccount's tokens. */
export const serviceAccountSubject = (namespace: string, name: string) =>
  `system:serviceaccount:${namespace}:${name}`;

/**
 * The auth file of one broker from its users, sorted by name so the rendered file is stable,
 * and a verdict per user, in the same order. A user is left out, with the reason, when its credentials are not
 * in place, its permissions fail the broker's own check, or an earlier user (by name) already
 * names the same ServiceAccount: the file allows each subject once.
 */
export function authFileFor(credentials: readonly UserCredentials[]): {
  authFile: AuthFile;
  verdicts: { user: MessageBrokerUser; verdict: UserVerdict }[];
} {
  const sorted = [...credentials].sort((a, b) =>
    a.user.metadata.name.localeCompare(b.user.metadata.name),
  );
  const verdicts: { user: MessageBrokerUser; verdict: UserVerdict }[] = [];
  const users: AuthFileUser[] = [];
  const subjectHolders = new Map<string, string>();
  for (const entry of sorted) {
    const { user } = entry;
    const { name } = user.metadata;
    if ("problem" in entry) {
      verdicts.push({ user, verdict: { ready: false, ...entry.problem } });
      continue;
    }
    const problem = permissionsProblem(user) ?? duplicateProblem(entry, subjectHolders);
    if (problem) {
      verdicts.push({ user, verdict: { ready: false, ...problem } });
      continue;
    }
    const permissions = permissionsSchema.parse(user.spec.permissions);
    const { identity } = entry;
    if ("jwtSubject" in identity) {
      subjectHolders.set(identity.jwtSubject, name);
      users.push({ name, jwtSubject: identity.jwtSubject, permissions });
      verdicts.push({ user, verdict: { ready: true, permissions } });
    } else {
      users.push({ name, tokenSha256: identity.tokenSha256, permissions });
      verdicts.push({
        user,
        verdict: { ready: true, permissions, secretName: identity.secretName },
      });
    }
  }
  return { authFile: { users }, verdicts };
}

/** The patterns are checked again with the broker's own definition, whatever the CRD let through. */
function permissionsProblem(user: MessageBrokerUser): UserProblem | undefined {
  const parsed = permissionsSchema.safeParse(user.spec.permissions);
  if (parsed.success) return undefined;
  return {
    reason: "InvalidPermissions",
    message: parsed.error.issues
      .map((issue) => `permissions.${issue.path.join(".")}: ${issue.message}`)
      .join("; "),
  };
}

function duplicateProblem(
  entry: { user: MessageBrokerUser; identity: UserIdentity },
  subjectHolders: ReadonlyMap<string, string>,
): UserProblem | undefined {
  if (!("jwtSubject" in entry.identity)) return undefined;
  const holder = subjectHolders.get(entry.identity.jwtSubject);
  if (holder === undefined) return undefined;
  return {
    reason: "DuplicateServiceAccount",
    message: `MessageBrokerUser ${holder} already names ServiceAccount ${entry.user.spec.serviceAccount ?? ""} for this broker`,
  };
}

/**
 * Who is calling. A call's credential (what it proved) is resolved to a principal (a name and
 * permissions) against the auth file in force, so a reload changes what a credential may do, and a
 * removed user is refused, even on a stream opened before the reload.
 */
import { UnauthenticatedError } from "../errors.ts";
import { compilePermissions, noPermissions, type Permissions } from "./permissions.ts";

export interface Principal {
  readonly name: string;
  readonly permissions: Permissions;
}

/** What a call proved. */
export type Credential =
  /** A bearer token of the auth file, by its SHA-256. */
  | { readonly kind: "token"; readonly sha256: string }
  /** A verified JWT: its subject, the principal its permissions claim makes (none: no permissions), its expiry. */
  | {
      readonly kind: "jwt";
      readonly subject: string;
      readonly claimed: Principal;
      readonly expiresAtMs: number;
    }
  /** A verified client certificate's subject alternative names. */
  | { readonly kind: "certificate"; readonly names: readonly string[] }
  /** A principal named by the member that forwarded the call (its client had a certificate). */
  | { readonly kind: "forwarded"; readonly name: string }
  /** Another member of the cluster calling for itself (a relayed Subscribe). */
  | { readonly kind: "member" };

/** The users of the auth file in force, by each way a credential names them. */
export interface Directory {
  byTokenSha256(sha256: string): Principal | undefined;
  byCertificateName(name: string): Principal | undefined;
  byJwtSubject(subject: string): Principal | undefined;
  byName(name: string): Principal | undefined;
}

/** A member relays subscriptions for its own clients (already authorized there) and may do nothing else. */
export const memberPrincipal: Principal = {
  name: "cluster member",
  permissions: compilePermissions({ ...noPermissions, subscribe: [">"] }),
};

/** The principal `credential` stands for under `directory`; throws UnauthenticatedError if none. */
export function resolvePrincipal(credential: Credential, directory: Directory): Principal {
  switch (credential.kind) {
    case "token":
      return directory.byTokenSha256(credential.sha256) ?? unknown("unknown bearer token");
    case "jwt": {
      if (Date.now() >= credential.expiresAtMs) return unknown("token has expired");
      // The auth file's mapping of the subject wins over the token's own claim.
      return directory.byJwtSubject(credential.subject) ?? credential.claimed;
    }
    case "certificate":
      for (const name of credential.names) {
        const principal = directory.byCertificateName(name);
        if (principal !== undefined) return principal;
      }
      return unknown("the client certificate names no user");
    case "forwarded":
      return directory.byName(credential.name) ?? unknown(`unknown user "${credential.name}"`);
    case "member":
      return memberPrincipal;
  }
}

function unknown(message: string): never {
  throw new UnauthenticatedError(message);
}

/**
 * The auth file (HERALD_AUTH_FILE, broker/README.md#security): the users a broker knows, each named
 * by a bearer token's SHA-256, a client certificate's subject alternative name, or a JWT subject
 * (a Kubernetes ServiceAccount is `system:serviceaccount:<namespace>:<name>`), with permissions per
 * verb. Its shape is contract/auth-file.ts; this module turns it into lookups.
 */
import { parse } from "yaml";
import { authFileSchema } from "../../contract/auth-file.ts";
import { compilePermissions } from "./permissions.ts";
import type { Directory, Principal } from "./principal.ts";

/** Parses the file's text; throws an Error naming the first problem and where it is. */
export function parseAuthFile(text: string): Directory {
  const parsed = authFileSchema.safeParse(parse(text) ?? {});
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new Error(`auth file: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  const byName = new Map<string, Principal>();
  const byToken = new Map<string, Principal>();
  const bySan = new Map<string, Principal>();
  const bySubject = new Map<string, Principal>();
  for (const user of parsed.data.users) {
    const principal = { name: user.name, permissions: compilePermissions(user.permissions) };
    byName.set(user.name, principal);
    if (user.tokenSha256 !== undefined) byToken.set(user.tokenSha256, principal);
    if (user.certificateSan !== undefined) bySan.set(user.certificateSan, principal);
    if (user.jwtSubject !== undefined) bySubject.set(user.jwtSubject, principal);
  }
  return {
    byTokenSha256: (sha256) => byToken.get(sha256),
    byCertificateName: (name) => bySan.get(name),
    byJwtSubject: (subject) => bySubject.get(subject),
    byName: (name) => byName.get(name),
  };
}

/** An auth file's Directory when there is none: JWT principals keep their own claims. */
export const emptyDirectory: Directory = parseAuthFile("users: []");

/**
 * The names a verified certificate's `subjectaltname` offers, each with and without its type
 * (`DNS:a.example, IP Address:10.0.0.1` → `DNS:a.example`, `a.example`, `IP Address:10.0.0.1`, …).
 */
export function certificateNames(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined) return [];
  return subjectAltName.split(", ").flatMap((entry) => {
    const colon = entry.indexOf(":");
    return colon === -1 ? [entry] : [entry, entry.slice(colon + 1)];
  });
}

/**
 * The auth file (HERALD_AUTH_FILE, broker/README.md#security): the users a broker knows, each named
 * by a bearer token's SHA-256, a client certificate's subject alternative name, or a JWT subject
 * (a Kubernetes ServiceAccount is `system:serviceaccount:<namespace>:<name>`), with permissions per
 * verb. The file is strict: a misspelt key is an error rather than a silently missing rule.
 */
import { createHash } from "node:crypto";
import { parse } from "yaml";
import { z } from "zod";
import { compilePermissions, permissionsSchema } from "./permissions.ts";
import type { Directory, Principal } from "./principal.ts";

const userSchema = z.strictObject({
  name: z.string().min(1),
  tokenSha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "expected 64 hex digits")
    .transform((hex) => hex.toLowerCase())
    .optional(),
  /** A DNS, URI, IP or email SAN, with or without its type (`DNS:client.example`). */
  certificateSan: z.string().min(1).optional(),
  jwtSubject: z.string().min(1).optional(),
  permissions: permissionsSchema.default(permissionsSchema.parse({})),
});

const authFileSchema = z
  .strictObject({ users: z.array(userSchema).default([]) })
  .superRefine(({ users }, ctx) => {
    const keys = ["name", "tokenSha256", "certificateSan", "jwtSubject"] as const;
    for (const key of keys) {
      const seen = new Set<string>();
      users.forEach((user, index) => {
        const value = user[key];
        if (value === undefined) return;
        if (seen.has(value)) {
          ctx.addIssue({
            code: "custom",
            path: ["users", index, key],
            message: `two users have the same ${key}`,
          });
        }
        seen.add(value);
      });
    }
  });

export type AuthFile = z.input<typeof authFileSchema>;

/** The SHA-256 of a bearer token as the auth file spells it. */
export const tokenSha256 = (token: string) => createHash("sha256").update(token).digest("hex");

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

/**
 * The auth file (HERALD_AUTH_FILE, broker/README.md#security): the users a broker knows, each named
 * by a bearer token's SHA-256, a client certificate's subject alternative name, or a JWT subject
 * (a Kubernetes ServiceAccount is `system:serviceaccount:<namespace>:<name>`), with permissions per
 * verb as subject patterns (contract/subjects.ts) and `deny` lists that win. The broker reads it;
 * the operator renders it from MessageBrokerUsers. The same permissions shape is read from a JWT
 * claim and from a MessageBrokerUser's spec. The file is strict: a misspelt key is an error rather
 * than a silently missing rule.
 */
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { z } from "zod";
import { patternProblem } from "./subjects.ts";

export const verbs = ["publish", "subscribe", "fetch", "consume"] as const;
export type Verb = (typeof verbs)[number];

const patterns = z
  .array(
    z.string().superRefine((pattern, ctx) => {
      const problem = patternProblem(pattern);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    }),
  )
  .default([]);

const verbPatterns = z.strictObject({
  publish: patterns,
  subscribe: patterns,
  fetch: patterns,
  consume: patterns,
});

export const permissionsSchema = verbPatterns.extend({
  deny: verbPatterns.default({ publish: [], subscribe: [], fetch: [], consume: [] }),
});
export type PermissionsInput = z.input<typeof permissionsSchema>;
export type PermissionsSpec = z.output<typeof permissionsSchema>;

export const authUserSchema = z.strictObject({
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

export const authFileSchema = z
  .strictObject({ users: z.array(authUserSchema).default([]) })
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
export type AuthFileUser = z.input<typeof authUserSchema>;

/** The SHA-256 of a bearer token as the auth file spells it. */
export const tokenSha256 = (token: string) => createHash("sha256").update(token).digest("hex");

/** The file's text; validated first, so a renderer cannot write a file the broker would refuse. */
export function renderAuthFile(file: AuthFile): string {
  return stringify(authFileSchema.parse(file));
}

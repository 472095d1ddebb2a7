/** An auth file in a fresh temporary directory, for brokers started with authentication on. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { tokenSha256 } from "../../../contract/auth-file.ts";
import type { BrokerSettings } from "../../broker.ts";

export interface TestUser {
  readonly name: string;
  readonly token: string;
  /** Subject patterns per verb; a verb left out is not granted. */
  readonly permissions: Partial<Record<"publish" | "subscribe" | "fetch" | "consume", string[]>>;
}

/** The security settings of a broker that authenticates `users` by token. */
export function tokenSecurity(users: readonly TestUser[]): NonNullable<BrokerSettings["security"]> {
  const authFile = join(mkdtempSync(join(tmpdir(), "herald-web-auth-")), "auth.yaml");
  writeFileSync(
    authFile,
    stringify({
      users: users.map(({ name, token, permissions }) => ({
        name,
        tokenSha256: tokenSha256(token),
        permissions,
      })),
    }),
  );
  return { tls: undefined, authFile, jwt: undefined, reloadIntervalMs: 2000 };
}

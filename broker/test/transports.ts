/**
 * How a suite's clients reach its brokers: plaintext, or TLS with a bearer token that may do
 * everything (broker/README.md#security), so a suite parametrized over both proves that security
 * changes no semantics.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { BrokerSettings } from "../broker.ts";
import type { HeraldClientOptions } from "../client/herald-client.ts";
import { tokenSha256 } from "../../contract/auth-file.ts";
import { createCa, issue, serverTls } from "./certificates.ts";

export interface Transport {
  readonly name: string;
  /** Merged into every broker's settings. */
  readonly settings: Partial<BrokerSettings>;
  /** What clients connect with. */
  readonly client: HeraldClientOptions;
}

export const plaintext: Transport = { name: "plaintext", settings: {}, client: {} };

/** A CA, a certificate for 127.0.0.1 and an auth file with one user allowed every verb everywhere. */
export function tlsWithToken(): Transport {
  const ca = createCa("herald-suite");
  const leaf = issue(ca, "broker");
  const token = `suite-${ca.dir.slice(-6)}-token`;
  const authFile = join(ca.dir, "auth.yaml");
  const everything = [">"];
  writeFileSync(
    authFile,
    stringify({
      users: [
        {
          name: "suite",
          tokenSha256: tokenSha256(token),
          permissions: {
            publish: everything,
            subscribe: everything,
            fetch: everything,
            consume: everything,
          },
        },
      ],
    }),
  );
  return {
    name: "TLS with a token",
    settings: {
      security: {
        tls: serverTls(leaf),
        authFile,
        jwt: undefined,
        reloadIntervalMs: 2000,
      },
    },
    client: { tls: { ca: ca.pem }, token },
  };
}

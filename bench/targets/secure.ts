/**
 * The settings of a broker with security on (broker/README.md#security): TLS with a test
 * certificate for 127.0.0.1 and, with `auth`, an auth file whose one token may publish everywhere,
 * so the bench measures what TLS, and then authentication and authorization, cost per publish.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { tokenSha256 } from "../../contract/auth-file.ts";
import { createCa, issue } from "../../broker/test/certificates.ts";
import type { HeraldOptions } from "./herald.ts";

export function secureHeraldOptions(auth: boolean): NonNullable<HeraldOptions["security"]> {
  const ca = createCa("herald-bench");
  const leaf = issue(ca, "broker");
  const token = randomBytes(24).toString("base64url");
  const authFile = join(ca.dir, "auth.yaml");
  writeFileSync(
    authFile,
    stringify({
      users: [
        {
          name: "bench",
          tokenSha256: tokenSha256(token),
          permissions: { publish: [">"], subscribe: [">"], fetch: [">"] },
        },
      ],
    }),
  );
  return {
    env: {
      HERALD_TLS_CERT_FILE: leaf.certFile,
      HERALD_TLS_KEY_FILE: leaf.keyFile,
      ...(auth ? { HERALD_AUTH_FILE: authFile } : {}),
    },
    client: { ca: ca.pem, token },
  };
}

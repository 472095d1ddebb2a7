/**
 * The broker process at startup with security settings: one warning when nothing authenticates,
 * and a certificate, key or auth file that cannot be used stops it with one line naming its
 * variable and exit code 2.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startupLogs } from "../test/broker-process.ts";
import { createCa, issue, type TestCa, type TestLeaf } from "../test/certificates.ts";

const mainPath = join(import.meta.dirname, "..", "main.ts");
const baseEnv = {
  PATH: process.env.PATH ?? "",
  HERALD_GRPC_ADDR: "127.0.0.1:0",
  HERALD_HTTP_ADDR: "127.0.0.1:0",
};

describe("broker startup with security settings", { timeout: 60_000 }, () => {
  let ca: TestCa;
  let leaf: TestLeaf;
  let authFile: string;
  beforeAll(() => {
    ca = createCa("herald-startup");
    leaf = issue(ca, "broker");
    authFile = join(ca.dir, "auth.yaml");
    writeFileSync(authFile, "users: []\n");
  });

  it("warns once that authentication is off, and not when an auth file is set", async () => {
    const { lines: off } = await startupLogs({});
    expect(off.filter((line) => line.msg.startsWith("authentication is off"))).toHaveLength(1);
    const { lines: on } = await startupLogs({
      HERALD_TLS_CERT_FILE: leaf.certFile,
      HERALD_TLS_KEY_FILE: leaf.keyFile,
      HERALD_AUTH_FILE: authFile,
    });
    expect(on.filter((line) => line.level >= 40)).toEqual([]);
  });

  it.each([
    [
      "a missing key",
      () => ({
        HERALD_TLS_CERT_FILE: leaf.certFile,
        HERALD_TLS_KEY_FILE: join(ca.dir, "none.key"),
      }),
      /^HERALD_TLS_KEY_FILE: ENOENT/,
    ],
    [
      "a key of another certificate",
      () => ({ HERALD_TLS_CERT_FILE: leaf.certFile, HERALD_TLS_KEY_FILE: ca.keyFile }),
      /^HERALD_TLS_CERT_FILE: .*ca\.key is not the key of .*broker\.crt$/,
    ],
    [
      "an auth file with a misspelt key",
      () => {
        const bad = join(ca.dir, "bad-auth.yaml");
        writeFileSync(bad, "users: [{ name: a, permisions: {} }]\n");
        return { HERALD_AUTH_FILE: bad };
      },
      /^HERALD_AUTH_FILE: auth file: users\.0: .*permisions/,
    ],
  ])("stops with one line naming the variable for %s", (_case, env, line) => {
    const result = spawnSync(process.execPath, [mainPath], {
      env: { ...baseEnv, ...env() },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(line);
    expect(result.status).toBe(2);
  });
});

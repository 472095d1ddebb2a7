/**
 * Test certificates made with the openssl CLI: a CA, and leaf certificates it signs for
 * 127.0.0.1 (server and client use), each with a random serial so a rotation is observable.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCa {
  readonly name: string;
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly pem: Buffer;
}

export interface TestLeaf {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Upper-case hex, as X509Certificate.serialNumber spells it. */
  readonly serial: string;
}

const openssl = (dir: string, ...args: string[]) =>
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });

const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A new self-signed CA in its own temporary directory. */
export function createCa(name: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), `herald-${name}-`));
  openssl(
    dir,
    "req",
    "-x509",
    ...ecKey,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  const certFile = join(dir, "ca.crt");
  return { name, dir, certFile, keyFile: join(dir, "ca.key"), pem: readFileSync(certFile) };
}

/**
 * A leaf certificate signed by `ca` for `sans` (default 127.0.0.1 and localhost), usable by servers
 * and clients, written to `<name>.crt` / `<name>.key` in the CA's directory (overwritten on reissue).
 */
export function issue(
  ca: TestCa,
  name: string,
  sans: readonly string[] = ["IP:127.0.0.1", "DNS:localhost"],
): TestLeaf {
  // 16 hex digits with a non-zero first one, positive: spelled as X509Certificate.serialNumber spells it.
  const bytes = randomBytes(8);
  bytes[0] = 0x10 | ((bytes[0] ?? 0) & 0x6f);
  const serial = bytes.toString("hex").toUpperCase();
  const work = `${name}-${serial}`;
  writeFileSync(
    join(ca.dir, `${work}.ext`),
    [
      `subjectAltName=${sans.join(",")}`,
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth,clientAuth",
    ].join("\n"),
  );
  openssl(
    ca.dir,
    "req",
    ...ecKey,
    "-keyout",
    `${work}.key`,
    "-out",
    `${work}.csr`,
    "-subj",
    `/CN=${name}`,
  );
  openssl(
    ca.dir,
    "x509",
    "-req",
    "-in",
    `${work}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-set_serial",
    `0x${serial}`,
    "-days",
    "1",
    "-extfile",
    `${work}.ext`,
    "-out",
    `${work}.crt`,
  );
  const cert = readFileSync(join(ca.dir, `${work}.crt`));
  const key = readFileSync(join(ca.dir, `${work}.key`));
  const certFile = join(ca.dir, `${name}.crt`);
  const keyFile = join(ca.dir, `${name}.key`);
  writeFileSync(certFile, cert);
  writeFileSync(keyFile, key);
  return { certFile, keyFile, cert, key, serial };
}

/** The broker's TLS file settings for `leaf`; the CAs are optional (mTLS, cluster members). */
export function serverTls(
  leaf: TestLeaf,
  cas: { readonly clientCaFile?: string; readonly clusterCaFile?: string } = {},
) {
  return {
    certFile: leaf.certFile,
    keyFile: leaf.keyFile,
    clientCaFile: cas.clientCaFile,
    clusterCaFile: cas.clusterCaFile,
  };
}

import { randomBytes } from "node:crypto";
import { access, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { run } from "../../../../testing/run.ts";

/** Certificates and keys of the test cluster, all under one directory. */
export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  /** Service-account token signing key and its public half. */
  saKey: string;
  saPub: string;
}

export function pkiPaths(dir: string): Pki {
  return {
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    servingCert: join(dir, "apiserver.crt"),
    servingKey: join(dir, "apiserver.key"),
    saKey: join(dir, "sa.key"),
    saPub: join(dir, "sa.pub"),
  };
}

/** openssl run in `dir`, its output appended to the build log. */
function opensslIn(
  dir: string,
  opts: { part: string; logFile: string },
): (...args: string[]) => Promise<string> {
  return (...args) =>
    run("openssl", args, {
      cwd: dir,
      part: opts.part,
      logFile: opts.logFile,
      remedy: "install openssl (apt-get install openssl)",
    });
}

const ecKeyWith = (openssl: (...args: string[]) => Promise<string>, out: string) =>
  openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", out);
const serial = (): string => `0x${randomBytes(16).toString("hex")}`;

/** A certificate for `csr`, signed by the CA, valid ten years, with the extensions in `ext`. */
const signWithCa = (
  openssl: (...args: string[]) => Promise<string>,
  pki: Pki,
  csr: string,
  ext: string,
  out: string,
) =>
  openssl(
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    pki.caCert,
    "-CAkey",
    pki.caKey,
    "-set_serial",
    serial(),
    "-days",
    "3650",
    "-extfile",
    ext,
    "-out",
    out,
  );

/**
 * Create the CA, the API server's serving certificate (valid for 127.0.0.1,
 * localhost and the in-cluster `kubernetes` names) and the service-account key
 * pair, once. A marker written last makes a half-finished run start over
 * instead of mixing certificates from two CAs.
 */
export async function ensurePki(
  dir: string,
  opts: { part: string; logFile: string; sans: string[] },
): Promise<Pki> {
  const pki = pkiPaths(dir);
  const done = join(dir, ".complete");
  if (
    await access(done).then(
      () => true,
      () => false,
    )
  ) {
    return pki;
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const openssl = opensslIn(dir, opts);
  const ecKey = (out: string): Promise<string> => ecKeyWith(openssl, out);

  // Our own config files, so the machine's openssl.cnf defaults do not matter.
  await writeFile(
    join(dir, "ca.cnf"),
    [
      "[req]",
      "distinguished_name = dn",
      "prompt = no",
      "[dn]",
      "CN = herald-test-ca",
      "[v3_ca]",
      "basicConstraints = critical,CA:TRUE",
      "keyUsage = critical,keyCertSign,cRLSign,digitalSignature",
      "subjectKeyIdentifier = hash",
      "",
    ].join("\n"),
  );
  await writeFile(
    join(dir, "serving.ext"),
    [
      "basicConstraints = critical,CA:FALSE",
      "keyUsage = critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage = serverAuth",
      "authorityKeyIdentifier = keyid",
      `subjectAltName = ${opts.sans.join(",")}`,
      "",
    ].join("\n"),
  );

  await ecKey(pki.caKey);
  await openssl(
    "req",
    "-x509",
    "-new",
    "-config",
    "ca.cnf",
    "-extensions",
    "v3_ca",
    "-key",
    pki.caKey,
    "-days",
    "3650",
    "-set_serial",
    serial(),
    "-out",
    pki.caCert,
  );
  await ecKey(pki.servingKey);
  await openssl(
    "req",
    "-new",
    "-key",
    pki.servingKey,
    "-subj",
    "/CN=kube-apiserver",
    "-out",
    "apiserver.csr",
  );
  await signWithCa(openssl, pki, "apiserver.csr", "serving.ext", pki.servingCert);
  // RSA: RS256 is the service-account token algorithm every JWT library verifies.
  await openssl(
    "genpkey",
    "-algorithm",
    "RSA",
    "-pkeyopt",
    "rsa_keygen_bits:2048",
    "-out",
    pki.saKey,
  );
  await openssl("pkey", "-in", pki.saKey, "-pubout", "-out", pki.saPub);
  await writeFile(done, new Date().toISOString());
  return pki;
}

const TokensSchema = z.object({ admin: z.string().min(32), controllerManager: z.string().min(32) });
export type Tokens = z.infer<typeof TokensSchema>;

/** Bearer tokens for the static token file; random once, then stable so kubeconfigs stay valid. */
export async function ensureTokens(file: string): Promise<Tokens> {
  return TokensSchema.parse(await ensureNamedTokens(file, ["admin", "controllerManager"]));
}

/** One random token per name, kept in `file`; names added later get theirs without changing the others. */
export async function ensureNamedTokens<Name extends string>(
  file: string,
  names: readonly Name[],
): Promise<Record<Name, string>> {
  let tokens: Record<string, string> = {};
  try {
    tokens = z
      .record(z.string(), z.string().min(32))
      .parse(JSON.parse(await readFile(file, "utf8")));
  } catch {
    /* first run (or a damaged file): mint new ones */
  }
  const missing = names.filter((name) => !tokens[name]);
  for (const name of missing) tokens[name] = randomBytes(24).toString("hex");
  if (missing.length > 0) await writeFile(file, JSON.stringify(tokens), { mode: 0o600 });
  return Object.fromEntries(names.map((name) => [name, tokens[name] ?? ""])) as Record<
    Name,
    string
  >;
}

/**
 * A client certificate signed by the cluster CA, e.g. the API server's
 * identity towards kubelets; made once, kept beside the CA.
 */
export async function ensureClientCert(
  pki: Pki,
  opts: { part: string; logFile: string; name: string; subject: string },
): Promise<{ cert: string; key: string }> {
  const dir = dirname(pki.caCert);
  const cert = join(dir, `${opts.name}.crt`);
  const key = join(dir, `${opts.name}.key`);
  const exists = await access(cert).then(
    () => true,
    () => false,
  );
  if (exists) return { cert, key };
  const openssl = opensslIn(dir, opts);
  const ext = join(dir, `${opts.name}.ext`);
  await writeFile(
    ext,
    [
      "basicConstraints = critical,CA:FALSE",
      "keyUsage = critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage = clientAuth",
      "",
    ].join("\n"),
  );
  await ecKeyWith(openssl, key);
  const csr = join(dir, `${opts.name}.csr`);
  await openssl("req", "-new", "-key", key, "-subj", opts.subject, "-out", csr);
  const tmp = `${cert}.tmp`;
  await signWithCa(openssl, pki, csr, ext, tmp);
  // Renamed last: a certificate at its path always has its key beside it.
  await rename(tmp, cert);
  return { cert, key };
}

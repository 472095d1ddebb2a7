/**
 * Issuing the operator-managed cluster CA and broker certificates (docs/security.md#certificates):
 * ECDSA P-256 keys (fast to generate, small handshakes), certificates built with @peculiar/x509 on
 * Node's WebCrypto, and read back with node:crypto's X509Certificate.
 */
// @peculiar/x509 resolves its ASN.1 parsers through decorators and needs the Reflect polyfill first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
// Node's global WebCrypto (the typings of node:crypto's webcrypto differ from the global ones).
const { subtle } = globalThis.crypto;
x509.cryptoProvider.set(globalThis.crypto);

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  certificate: string;
  privateKey: string;
}

/** Positive 128-bit serial in hex: unique per issue, so a rotation is visible as a new serial. */
const serialNumber = () => `01${randomBytes(15).toString("hex")}`;

const day = 24 * 60 * 60 * 1000;

/** WebCrypto's key type, named through the API itself: its global name depends on the typings. */
type WebCryptoKey = Awaited<ReturnType<typeof subtle.importKey>>;

async function privateKeyPem(key: WebCryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey("pkcs8", key));
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" })
    .export({ format: "pem", type: "pkcs8" })
    .toString();
}

async function signingKeyOf(pem: string): Promise<WebCryptoKey> {
  const der = createPrivateKey(pem).export({ format: "der", type: "pkcs8" });
  return subtle.importKey("pkcs8", der, algorithm, false, ["sign"]);
}

const newKeys = () => subtle.generateKey(algorithm, true, ["sign", "verify"]);

/** A self-signed CA that may sign leaf certificates only (path length 0). */
export async function issueCertificateAuthority(
  commonName: string,
  now: Date,
  validDays: number,
): Promise<KeyPair> {
  const keys = await newKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [commonName] }],
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + validDays * day),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificate: certificate.toString("pem"),
    privateKey: await privateKeyPem(keys.privateKey),
  };
}

/**
 * A certificate for the brokers, signed by `ca`: serverAuth for clients, clientAuth because members
 * present it to each other (mTLS), with a DNS SAN per name.
 */
export async function issueLeaf(
  ca: KeyPair,
  dnsNames: readonly string[],
  now: Date,
  validDays: number,
): Promise<KeyPair> {
  const keys = await newKeys();
  const issuer = new x509.X509Certificate(ca.certificate);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: [{ CN: [dnsNames[0] ?? "herald"] }],
    issuer: issuer.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + validDays * day),
    publicKey: keys.publicKey,
    signingKey: await signingKeyOf(ca.privateKey),
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      new x509.SubjectAlternativeNameExtension(
        dnsNames.map((value) => ({ type: "dns" as const, value })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(issuer, false),
    ],
  });
  return {
    certificate: certificate.toString("pem"),
    privateKey: await privateKeyPem(keys.privateKey),
  };
}

/** What the operator needs to know of an existing certificate to keep or replace it. */
export interface CertificateFacts {
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  serial: string;
}

/** Facts of the first certificate in `pem`; undefined when it does not parse. */
export function certificateFacts(pem: string): CertificateFacts | undefined {
  try {
    const certificate = new X509Certificate(pem);
    const dnsNames = (certificate.subjectAltName ?? "")
      .split(", ")
      .filter((entry) => entry.startsWith("DNS:"))
      .map((entry) => entry.slice("DNS:".length));
    return {
      notBefore: new Date(certificate.validFrom),
      notAfter: new Date(certificate.validTo),
      dnsNames,
      serial: certificate.serialNumber,
    };
  } catch {
    return undefined;
  }
}

/** Whether `leaf` was signed by `ca`'s key and `key` is `leaf`'s private key. */
export function issuedBy(leaf: KeyPair, ca: string): boolean {
  try {
    const certificate = new X509Certificate(leaf.certificate);
    const authority = new X509Certificate(ca);
    return (
      certificate.checkIssued(authority) &&
      certificate.verify(authority.publicKey) &&
      certificate.checkPrivateKey(createPrivateKey(leaf.privateKey))
    );
  } catch {
    return false;
  }
}

/**
 * The operator-managed PKI of one MessageBroker (docs/security.md#certificates): a cluster CA kept
 * in `<broker>-ca`, and the brokers' certificate in `<broker>-tls`, re-issued before it expires or
 * when its names change. Existing material is kept whenever it is still good, so a reconcile only
 * issues when something is due; the brokers reload the new files without a restart.
 */
import type { V1Secret } from "@kubernetes/client-node";
import {
  certificateFacts,
  issueCertificateAuthority,
  issuedBy,
  issueLeaf,
  type KeyPair,
} from "./certificates.ts";

/** Keys of the CA Secret (never mounted into pods) and of the brokers' Secret (cert-manager's names). */
export const caSecretKeys = {
  certificate: "ca.crt",
  privateKey: "ca.key",
  previous: "previous-ca.crt",
};
export const tlsSecretKeys = { certificate: "tls.crt", privateKey: "tls.key", caBundle: "ca.crt" };

const caValidDays = 3650;
/** A CA this close to expiry is replaced; the old one stays trusted in the bundle until it expires. */
const caRenewBeforeDays = 365;
const leafValidDays = 90;
/** A certificate is re-issued two thirds into its life, as cert-manager does by default. */
const renewShare = 2 / 3;
const day = 24 * 60 * 60 * 1000;

export interface ManagedPki {
  ca: KeyPair;
  /** The CA this one replaced, trusted until it expires so certificates it signed keep working. */
  previousCa: string | undefined;
  leaf: KeyPair;
  /** Every CA clients and members should trust: the current one and, during a CA change, the previous. */
  caBundle: string;
  /** When the next certificate is due, so the reconcile comes back then. */
  renewAt: Date;
}

const decoded = (secret: V1Secret | undefined, key: string) => {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
};

function pairOf(secret: V1Secret | undefined, keys: { certificate: string; privateKey: string }) {
  const certificate = decoded(secret, keys.certificate);
  const privateKey = decoded(secret, keys.privateKey);
  return certificate && privateKey ? { certificate, privateKey } : undefined;
}

const renewalOf = (notBefore: Date, notAfter: Date) =>
  new Date(notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) * renewShare);

async function currentCa(
  secret: V1Secret | undefined,
  commonName: string,
  now: Date,
): Promise<{ ca: KeyPair; previousCa: string | undefined; renewAt: Date }> {
  const existing = pairOf(secret, caSecretKeys);
  const facts = existing && certificateFacts(existing.certificate);
  const renewAt = facts && new Date(facts.notAfter.getTime() - caRenewBeforeDays * day);
  if (existing && facts && renewAt && now < renewAt) {
    const previous = decoded(secret, caSecretKeys.previous);
    const previousFacts = previous === undefined ? undefined : certificateFacts(previous);
    const keepPrevious = previousFacts !== undefined && now < previousFacts.notAfter;
    const dropPreviousAt = keepPrevious ? previousFacts.notAfter : renewAt;
    return {
      ca: existing,
      previousCa: keepPrevious ? previous : undefined,
      renewAt: dropPreviousAt < renewAt ? dropPreviousAt : renewAt,
    };
  }
  const ca = await issueCertificateAuthority(commonName, now, caValidDays);
  const stillValid = facts !== undefined && now < facts.notAfter;
  const issued = certificateFacts(ca.certificate);
  if (!issued) throw new Error("a CA just issued does not parse");
  return {
    ca,
    previousCa: stillValid ? existing?.certificate : undefined,
    renewAt: new Date(issued.notAfter.getTime() - caRenewBeforeDays * day),
  };
}

const sameNames = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((name, index) => name === [...b].sort()[index]);

/** The PKI from the existing Secrets, issuing only what is missing, invalid or due. */
export async function managedPki(options: {
  caSecret: V1Secret | undefined;
  tlsSecret: V1Secret | undefined;
  caName: string;
  dnsNames: readonly string[];
  now: Date;
}): Promise<ManagedPki> {
  const { now, dnsNames } = options;
  const {
    ca,
    previousCa,
    renewAt: caRenewAt,
  } = await currentCa(options.caSecret, options.caName, now);
  const existing = pairOf(options.tlsSecret, tlsSecretKeys);
  const facts = existing && certificateFacts(existing.certificate);
  const keep =
    existing !== undefined &&
    facts !== undefined &&
    issuedBy(existing, ca.certificate) &&
    sameNames(facts.dnsNames, dnsNames) &&
    now < renewalOf(facts.notBefore, facts.notAfter);
  const leaf = keep ? existing : await issueLeaf(ca, dnsNames, now, leafValidDays);
  const leafFacts = certificateFacts(leaf.certificate);
  if (!leafFacts) throw new Error("a certificate just issued does not parse");
  const leafRenewAt = renewalOf(leafFacts.notBefore, leafFacts.notAfter);
  return {
    ca,
    previousCa,
    leaf,
    caBundle: [ca.certificate, previousCa].filter((pem) => pem !== undefined).join(""),
    renewAt: leafRenewAt < caRenewAt ? leafRenewAt : caRenewAt,
  };
}

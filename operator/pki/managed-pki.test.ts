import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { managedPki, type ManagedPki } from "./managed-pki.ts";

const dnsNames = ["orders.shop.svc", "*.orders-headless.shop.svc"];
const day = 24 * 60 * 60 * 1000;
const t0 = new Date("2026-12-01T00:00:00Z");
const base64 = (text: string) => Buffer.from(text).toString("base64");

const secretsOf = (pki: ManagedPki) => ({
  caSecret: {
    data: {
      "ca.crt": base64(pki.ca.certificate),
      "ca.key": base64(pki.ca.privateKey),
      ...(pki.previousCa ? { "previous-ca.crt": base64(pki.previousCa) } : {}),
    },
  },
  tlsSecret: {
    data: { "tls.crt": base64(pki.leaf.certificate), "tls.key": base64(pki.leaf.privateKey) },
  },
});

const issue = (now: Date, existing: Partial<ReturnType<typeof secretsOf>> = {}, names = dnsNames) =>
  managedPki({
    caSecret: existing.caSecret,
    tlsSecret: existing.tlsSecret,
    caName: "herald shop/orders CA",
    dnsNames: names,
    now,
  });

describe("operator-managed PKI", () => {
  it("issues a CA and a server-and-client certificate for the brokers' names", async () => {
    const pki = await issue(t0);
    const ca = new X509Certificate(pki.ca.certificate);
    const leaf = new X509Certificate(pki.leaf.certificate);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe("DNS:orders.shop.svc, DNS:*.orders-headless.shop.svc");
    expect(leaf.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    expect(pki.caBundle).toBe(pki.ca.certificate);
    expect(pki.renewAt.getTime()).toBe(
      new Date(leaf.validFrom).getTime() +
        ((new Date(leaf.validTo).getTime() - new Date(leaf.validFrom).getTime()) * 2) / 3,
    );
  });

  it("keeps what is still good, whatever the order of the names", async () => {
    const pki = await issue(t0);
    const again = await issue(
      new Date(t0.getTime() + 30 * day),
      secretsOf(pki),
      [...dnsNames].reverse(),
    );
    expect(again.ca).toEqual(pki.ca);
    expect(again.leaf).toEqual(pki.leaf);
  });

  it("re-issues the certificate when due, when its names change, or when it is not the CA's", async () => {
    const pki = await issue(t0);
    const due = await issue(new Date(t0.getTime() + 61 * day), secretsOf(pki));
    expect(due.ca).toEqual(pki.ca);
    expect(due.leaf.certificate).not.toBe(pki.leaf.certificate);

    const renamed = await issue(t0, secretsOf(pki), [...dnsNames, "orders"]);
    expect(new X509Certificate(renamed.leaf.certificate).subjectAltName).toMatch(/DNS:orders$/);

    const other = await issue(t0);
    const foreign = await issue(t0, { ...secretsOf(pki), tlsSecret: secretsOf(other).tlsSecret });
    expect(foreign.leaf.certificate).not.toBe(other.leaf.certificate);
  });

  it("replaces a CA a year before it expires and trusts the old one until it does", async () => {
    const pki = await issue(t0);
    const nearEnd = new Date(new X509Certificate(pki.ca.certificate).validTo).getTime() - 300 * day;
    const rotated = await issue(new Date(nearEnd), secretsOf(pki));
    expect(rotated.ca.certificate).not.toBe(pki.ca.certificate);
    expect(rotated.previousCa).toBe(pki.ca.certificate);
    expect(rotated.caBundle).toBe(rotated.ca.certificate + pki.ca.certificate);
    const leaf = new X509Certificate(rotated.leaf.certificate);
    expect(leaf.checkIssued(new X509Certificate(rotated.ca.certificate))).toBe(true);
    // The reconcile comes back when the old CA expires, to drop it from the bundle.
    expect(rotated.renewAt.getTime()).toBeLessThanOrEqual(
      new Date(new X509Certificate(pki.ca.certificate).validTo).getTime(),
    );
  });

  it("starts afresh from material that does not parse", async () => {
    const pki = await issue(t0, {
      caSecret: { data: { "ca.crt": base64("garbage"), "ca.key": base64("garbage") } },
      tlsSecret: { data: { "tls.crt": base64("garbage"), "tls.key": base64("garbage") } },
    });
    expect(new X509Certificate(pki.ca.certificate).ca).toBe(true);
  });
});

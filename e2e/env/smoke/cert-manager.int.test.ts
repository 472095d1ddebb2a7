import { X509Certificate, createPrivateKey } from "node:crypto";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import {
  certManagerApiVersion,
  createCaIssuer,
  renewCertificate,
  waitReady,
  type CaIssuer,
} from "../../../testing/cert-manager.ts";
import { apply, connect, createNamespace } from "../../../testing/kube-cluster.ts";
import { until } from "../../../testing/until.ts";

const env = inject("testEnv");
const cluster = connect(env);
let namespace: Awaited<ReturnType<typeof createNamespace>>;
let ca: CaIssuer;

const leafName = "broker-tls";
const dnsNames = ["herald.smoke.svc", "*.herald-members.smoke.svc.cluster.local"];

/** The Secret's three PEM entries, once all are there. */
async function tlsSecret(name: string) {
  const secret = await cluster.core.readNamespacedSecret({ namespace: namespace.name, name });
  const entry = (key: string) => {
    const value = secret.data?.[key];
    return value ? Buffer.from(value, "base64").toString("utf8") : undefined;
  };
  const [crt, key, caCrt] = [entry("tls.crt"), entry("tls.key"), entry("ca.crt")];
  return crt && key && caCrt ? { crt, key, caCrt } : undefined;
}

beforeAll(async () => {
  namespace = await createNamespace(cluster, "smoke-cert-manager");
  ca = await createCaIssuer(cluster, namespace.name);
});

afterAll(async () => {
  await namespace.remove();
});

test("the controller serves cert-manager's metrics", async () => {
  const res = await fetch(env.certManager.metricsUrl, { signal: AbortSignal.timeout(5000) });
  expect(res.status).toBe(200);
  expect(await res.text()).toContain("certmanager_clock_time_seconds");
});

test("a CA Issuer issues a leaf with DNS SANs that verifies against ca.crt, and renews it", async () => {
  await apply(cluster, {
    apiVersion: certManagerApiVersion,
    kind: "Certificate",
    metadata: { name: leafName, namespace: namespace.name },
    spec: {
      secretName: leafName,
      dnsNames,
      duration: "2160h",
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
      usages: ["server auth", "client auth"],
      issuerRef: ca.issuerRef,
    },
  });
  await waitReady(cluster, "certificates", namespace.name, leafName);
  const first = await until(`Secret ${leafName} with tls.crt, tls.key, ca.crt`, () =>
    tlsSecret(leafName),
  );

  // ca.crt is the certificate the Issuer signs with: the CA Certificate's own.
  expect(first.caCrt).toBe((await tlsSecret(ca.name))?.crt);
  const caCert = new X509Certificate(first.caCrt);
  const leaf = new X509Certificate(first.crt);
  expect(caCert.ca).toBe(true);
  expect(leaf.ca).toBe(false);
  expect(leaf.checkIssued(caCert)).toBe(true);
  expect(leaf.verify(caCert.publicKey)).toBe(true);
  expect(leaf.checkPrivateKey(createPrivateKey(first.key))).toBe(true);
  expect(leaf.subjectAltName?.split(", ").sort()).toEqual(dnsNames.map((n) => `DNS:${n}`).sort());

  await renewCertificate(cluster, namespace.name, leafName);
  const renewed = await until(
    `a re-issued certificate in Secret ${leafName}`,
    async () => {
      const now = await tlsSecret(leafName);
      return now && new X509Certificate(now.crt).serialNumber !== leaf.serialNumber && now;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  const next = new X509Certificate(renewed.crt);
  expect(next.verify(new X509Certificate(renewed.caCrt).publicKey)).toBe(true);
  expect(next.checkPrivateKey(createPrivateKey(renewed.key))).toBe(true);
  // rotationPolicy Always: the re-issue came with a new key.
  expect(next.publicKey.equals(leaf.publicKey)).toBe(false);
  await waitReady(cluster, "certificates", namespace.name, leafName);
});

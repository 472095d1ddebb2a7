import { CustomObjectsApi } from "@kubernetes/client-node";
import { z } from "zod";
import { apply, type Cluster } from "./kube-cluster.ts";
import { until } from "./until.ts";

/**
 * cert-manager objects on the test environment's controller. No admission
 * webhook runs there, so nothing defaults or validates these objects: every
 * object written here is complete.
 */
export const certManagerApiVersion = "cert-manager.io/v1";
const group = "cert-manager.io";
const version = "v1";

/** The cluster-wide SelfSigned issuer every CA Issuer here starts from. */
export const selfSignedClusterIssuer = "herald-test-selfsigned";

const Condition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  observedGeneration: z.number().int().optional(),
});
const WithConditions = z.looseObject({
  metadata: z.looseObject({ generation: z.number().int().optional() }),
  status: z.looseObject({ conditions: z.array(Condition).optional() }).optional(),
});

type Plural = "certificates" | "issuers";

async function readConditions(cluster: Cluster, plural: Plural, namespace: string, name: string) {
  const api = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  const object: unknown = await api.getNamespacedCustomObject({
    group,
    version,
    namespace,
    plural,
    name,
  });
  return WithConditions.parse(object).status?.conditions ?? [];
}

/** Waits until the object's Ready condition is True; a False one names its reason on timeout. */
export async function waitReady(
  cluster: Cluster,
  plural: Plural,
  namespace: string,
  name: string,
  timeoutMs = 60_000,
): Promise<void> {
  await until(
    `${plural}/${name} in ${namespace} Ready`,
    async () => {
      const ready = (await readConditions(cluster, plural, namespace, name)).find(
        (c) => c.type === "Ready",
      );
      if (ready?.status === "True") return true;
      throw new Error(`Ready is ${ready?.status ?? "absent"}: ${ready?.message ?? ""}`);
    },
    { timeoutMs, intervalMs: 200 },
  );
}

export interface CaIssuer {
  /** The Issuer's name, also its CA Certificate's and that Certificate's Secret's. */
  name: string;
  namespace: string;
  /** What a Certificate (or a MessageBroker's spec.tls.issuerRef) names to be signed by it. */
  issuerRef: { group: string; kind: "Issuer"; name: string };
}

/**
 * A CA Issuer in `namespace`: the SelfSigned ClusterIssuer issues a CA
 * Certificate into a Secret of the same name, and the Issuer signs with it.
 * Resolves once the Issuer is Ready.
 */
export async function createCaIssuer(
  cluster: Cluster,
  namespace: string,
  name = "herald-test-ca",
): Promise<CaIssuer> {
  await apply(cluster, {
    apiVersion: certManagerApiVersion,
    kind: "ClusterIssuer",
    metadata: { name: selfSignedClusterIssuer },
    spec: { selfSigned: {} },
  });
  await apply(cluster, {
    apiVersion: certManagerApiVersion,
    kind: "Certificate",
    metadata: { name, namespace },
    spec: {
      isCA: true,
      commonName: name,
      secretName: name,
      duration: "8760h",
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
      issuerRef: { group, kind: "ClusterIssuer", name: selfSignedClusterIssuer },
    },
  });
  await waitReady(cluster, "certificates", namespace, name);
  await apply(cluster, {
    apiVersion: certManagerApiVersion,
    kind: "Issuer",
    metadata: { name, namespace },
    spec: { ca: { secretName: name } },
  });
  await waitReady(cluster, "issuers", namespace, name);
  return { name, namespace, issuerRef: { group, kind: "Issuer", name } };
}

/**
 * Asks cert-manager to re-issue a Certificate now, the way `cmctl renew` does:
 * the Issuing condition set to True through the status subresource.
 */
export async function renewCertificate(
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<void> {
  const api = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  const path = { group, version, namespace, plural: "certificates", name };
  await until(
    `renewal of certificates/${name} in ${namespace} requested`,
    async () => {
      const certificate = WithConditions.parse(await api.getNamespacedCustomObject(path));
      const issuing = {
        type: "Issuing",
        status: "True",
        reason: "ManuallyTriggered",
        message: "Certificate re-issuance manually triggered",
        lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
        observedGeneration: certificate.metadata.generation,
      };
      const conditions = certificate.status?.conditions?.filter((c) => c.type !== "Issuing") ?? [];
      // A replace carries the read's resourceVersion: a write in between fails it with 409,
      // and the next round reads again.
      await api.replaceNamespacedCustomObjectStatus({
        ...path,
        body: {
          ...certificate,
          status: { ...certificate.status, conditions: [...conditions, issuing] },
        },
      });
      return true;
    },
    { timeoutMs: 10_000, intervalMs: 100 },
  );
}

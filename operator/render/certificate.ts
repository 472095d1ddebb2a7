import type { KubernetesObject } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata, standardLabels } from "./metadata.ts";
import { childNames } from "./names.ts";
import { certificateDnsNames, type TlsSource } from "./tls.ts";

/** The part of cert-manager.io/v1 Certificate that Herald sets (client-node has no type for it). */
export interface Certificate extends KubernetesObject {
  spec: {
    secretName: string;
    secretTemplate: { labels: Record<string, string> };
    commonName: string;
    dnsNames: string[];
    duration: string;
    renewBefore: string;
    usages: string[];
    privateKey: { algorithm: "ECDSA"; size: number; rotationPolicy: "Always" };
    issuerRef: { name: string; kind: string; group: string };
  };
}

/**
 * The brokers' certificate from a cert-manager issuer, into `<broker>-tls`. The Secret carries the
 * operator's labels so its label-selected cache sees it (the CA bundle for users' credentials comes
 * from there); members present it to each other, so it is a client certificate too.
 */
export function renderCertificate(
  broker: MessageBroker,
  source: Extract<TlsSource, { kind: "cert-manager" }>,
  clusterDomain: string,
): Certificate {
  const names = childNames(broker);
  const dnsNames = certificateDnsNames(broker, clusterDomain);
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: childMetadata(broker, { name: names.tls, component: "broker" }),
    spec: {
      secretName: names.tls,
      secretTemplate: { labels: standardLabels(broker, "broker") },
      commonName: dnsNames[0] ?? names.clientService,
      dnsNames,
      duration: "2160h",
      renewBefore: "720h",
      usages: ["digital signature", "server auth", "client auth"],
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
      issuerRef: { ...source.issuerRef },
    },
  };
}

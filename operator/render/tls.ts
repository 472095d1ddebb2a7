/**
 * Where the brokers' certificate comes from and how it reaches them (docs/security.md): the
 * operator's own CA, a cert-manager issuer, or the user's Secret. Each ends as one Secret with
 * tls.crt, tls.key and ca.crt, mounted into every broker; the brokers reload it when it changes.
 */
import type { V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childNames } from "./names.ts";

export type TlsSource =
  | { kind: "disabled" }
  | { kind: "operator" }
  | { kind: "cert-manager"; issuerRef: NonNullable<MessageBroker["spec"]["tls"]["issuerRef"]> }
  | { kind: "secret"; secretName: string };

export function tlsSource(broker: MessageBroker): TlsSource {
  const { tls } = broker.spec;
  if (!tls.enabled) return { kind: "disabled" };
  if (tls.issuerRef) return { kind: "cert-manager", issuerRef: tls.issuerRef };
  if (tls.secretName) return { kind: "secret", secretName: tls.secretName };
  return { kind: "operator" };
}

/** The Secret the brokers mount: the user's own, or the one the operator or cert-manager fills. */
export function brokerTlsSecretName(broker: MessageBroker): string {
  const source = tlsSource(broker);
  return source.kind === "secret" ? source.secretName : childNames(broker).tls;
}

/**
 * The names the certificate must carry: every member's stable name (members dial each other by
 * it, docs/architecture.md#cluster-protocol) and the client Service's names.
 */
export function certificateDnsNames(broker: MessageBroker, clusterDomain: string): string[] {
  const names = childNames(broker);
  const { namespace } = broker.metadata;
  const service = names.clientService;
  return [
    `${service}.${namespace}.svc.${clusterDomain}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}`,
    service,
    `*.${names.headlessService}.${namespace}.svc.${clusterDomain}`,
    `*.${names.headlessService}.${namespace}.svc`,
  ];
}

/** Mount points under /var/run/secrets, where Kubernetes mounts credentials by convention. */
export const securityMounts = {
  tls: "/var/run/secrets/herald/tls",
  auth: "/var/run/secrets/herald/auth",
  jwks: "/var/run/secrets/herald/jwks",
} as const;

export const authFileKey = "auth.yaml";
export const jwksKey = "jwks.json";

/** Secret and ConfigMap files readable by the broker's user, which the pod runs without an fsGroup. */
const readable = 0o444;

interface SecurityVolume {
  volume: V1Volume;
  mountPath: string;
}

function securityVolumeList(broker: MessageBroker, withJwks: boolean): SecurityVolume[] {
  const names = childNames(broker);
  const { tls, auth } = broker.spec;
  const secret = (name: string, secretName: string, mountPath: string): SecurityVolume => ({
    volume: { name, secret: { secretName, defaultMode: readable } },
    mountPath,
  });
  return [
    ...(tls.enabled ? [secret("tls", brokerTlsSecretName(broker), securityMounts.tls)] : []),
    ...(auth.enabled ? [secret("auth", names.auth, securityMounts.auth)] : []),
    ...(auth.enabled && withJwks
      ? [
          {
            volume: { name: "jwks", configMap: { name: names.jwks, defaultMode: readable } },
            mountPath: securityMounts.jwks,
          },
        ]
      : []),
  ];
}

/** The security volumes of the broker pod: TLS material, the auth file, the API server's keys. */
export function securityVolumes(broker: MessageBroker, withJwks: boolean): V1Volume[] {
  return securityVolumeList(broker, withJwks).map(({ volume }) => volume);
}

export function securityVolumeMounts(broker: MessageBroker, withJwks: boolean): V1VolumeMount[] {
  return securityVolumeList(broker, withJwks).map(({ volume, mountPath }) => ({
    name: volume.name,
    mountPath,
    readOnly: true,
  }));
}

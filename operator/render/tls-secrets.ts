import type { V1Secret } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { caSecretKeys, type ManagedPki, tlsSecretKeys } from "../pki/managed-pki.ts";
import { childMetadata } from "./metadata.ts";
import { childNames } from "./names.ts";

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

const secret = (broker: MessageBroker, name: string, data: Record<string, string>): V1Secret => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: childMetadata(broker, { name, component: "broker" }),
  type: "Opaque",
  // data rather than stringData: stringData is write-only and would never compare equal under apply.
  data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, base64(value)])),
});

/** The operator-managed cluster CA with its key: read by the operator only, never mounted. */
export function renderCaSecret(broker: MessageBroker, pki: ManagedPki): V1Secret {
  return secret(broker, childNames(broker).certificateAuthority, {
    [caSecretKeys.certificate]: pki.ca.certificate,
    [caSecretKeys.privateKey]: pki.ca.privateKey,
    ...(pki.previousCa === undefined ? {} : { [caSecretKeys.previous]: pki.previousCa }),
  });
}

/** The brokers' certificate, key and CA bundle, in the keys cert-manager also uses. */
export function renderTlsSecret(broker: MessageBroker, pki: ManagedPki): V1Secret {
  return {
    ...secret(broker, childNames(broker).tls, {
      [tlsSecretKeys.certificate]: pki.leaf.certificate,
      [tlsSecretKeys.privateKey]: pki.leaf.privateKey,
      [tlsSecretKeys.caBundle]: pki.caBundle,
    }),
    type: "kubernetes.io/tls",
  };
}

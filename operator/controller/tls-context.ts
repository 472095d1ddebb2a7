import type { V1Secret } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { managedPki, tlsSecretKeys } from "../pki/managed-pki.ts";
import { childNames, type RenderContext } from "../render/index.ts";
import { certificateDnsNames, tlsSource } from "../render/tls.ts";
import type { ContextSources } from "./render-context.ts";

type TlsContext = Pick<RenderContext, "operatorPki" | "clientCaBundle">;

/**
 * The brokers' TLS material as far as the operator holds it: for its own CA, the CA and
 * certificate, kept from their Secrets or issued when missing or due; otherwise the CA bundle of
 * the Secret cert-manager or the user fills, which users' credentials carry. A cache miss is
 * confirmed with the API server before issuing: replacing a CA that exists would cut clients off.
 */
export async function tlsContext(
  broker: MessageBroker,
  clusterDomain: string,
  sources: ContextSources,
  now: Date,
): Promise<TlsContext> {
  const source = tlsSource(broker);
  const names = childNames(broker);
  const { namespace } = broker.metadata;
  const secret = async (name: string): Promise<V1Secret | undefined> =>
    sources.child("v1 Secret", name) ?? (await sources.writer.readSecret(namespace, name));
  if (source.kind === "disabled") return {};
  if (source.kind === "operator") {
    const operatorPki = await managedPki({
      caSecret: await secret(names.certificateAuthority),
      tlsSecret: await secret(names.tls),
      caName: `herald ${namespace}/${broker.metadata.name} CA`,
      dnsNames: certificateDnsNames(broker, clusterDomain),
      now,
    });
    return { operatorPki, clientCaBundle: operatorPki.caBundle };
  }
  const tlsSecret = await secret(source.kind === "secret" ? source.secretName : names.tls);
  const bundle = tlsSecret?.data?.[tlsSecretKeys.caBundle];
  return bundle === undefined ? {} : { clientCaBundle: Buffer.from(bundle, "base64").toString() };
}

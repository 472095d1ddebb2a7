import type { KubernetesObject } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { renderBrokerConfigMap } from "./broker-configmap.ts";
import { renderBrokerStatefulSet } from "./broker-statefulset.ts";
import { renderCassandraService } from "./cassandra-service.ts";
import { renderCassandraStatefulSet } from "./cassandra-statefulset.ts";
import { renderClientService } from "./client-service.ts";
import type { RenderContext } from "./context.ts";
import { renderEnvoyConfigMap } from "./envoy-configmap.ts";
import { renderHeadlessService } from "./headless-service.ts";
import { renderMembershipConfigMap } from "./membership-configmap.ts";
import { renderNetworkPolicy } from "./network-policy.ts";
import { renderPodDisruptionBudget } from "./pod-disruption-budget.ts";
import { renderPostgresSecret } from "./postgres-secret.ts";
import { renderPostgresService } from "./postgres-service.ts";
import { renderPostgresStatefulSet } from "./postgres-statefulset.ts";
import { renderRoleBinding } from "./role-binding.ts";
import { renderRole } from "./role.ts";
import { renderServiceAccount } from "./service-account.ts";
import { renderServiceMonitor } from "./service-monitor.ts";
import { renderStorageNetworkPolicy } from "./storage-network-policy.ts";
import { resolveStore } from "./store.ts";
import { renderAuthSecret, renderJwksConfigMap } from "./auth-secret.ts";
import { renderCertificate } from "./certificate.ts";
import { renderCaSecret, renderTlsSecret } from "./tls-secrets.ts";
import { tlsSource } from "./tls.ts";

/**
 * Every child a MessageBroker owns, in apply order (identity and config before the pods that use
 * them). A child that is not listed for the current spec is no longer wanted: the controller
 * deletes owned objects that are absent here.
 */
export function renderChildren(broker: MessageBroker, ctx: RenderContext): KubernetesObject[] {
  const { rateLimit, monitoring } = broker.spec;
  return [
    renderServiceAccount(broker),
    renderRole(broker),
    renderRoleBinding(broker),
    renderBrokerConfigMap(broker),
    renderMembershipConfigMap(broker, ctx.membership),
    ...renderSecurity(broker, ctx),
    ...(rateLimit.enabled ? [renderEnvoyConfigMap(broker)] : []),
    ...renderManagedStore(broker, ctx),
    renderHeadlessService(broker),
    renderClientService(broker),
    renderBrokerStatefulSet(broker, ctx),
    renderPodDisruptionBudget(broker),
    renderNetworkPolicy(broker, ctx),
    ...(monitoring.serviceMonitor.enabled && ctx.serviceMonitorCrdInstalled
      ? [renderServiceMonitor(broker)]
      : []),
  ];
}

/** The brokers' certificate (or what makes cert-manager issue it), auth file and issuer keys. */
function renderSecurity(broker: MessageBroker, ctx: RenderContext): KubernetesObject[] {
  const source = tlsSource(broker);
  const tls: KubernetesObject[] =
    source.kind === "operator" && ctx.operatorPki
      ? [renderCaSecret(broker, ctx.operatorPki), renderTlsSecret(broker, ctx.operatorPki)]
      : source.kind === "cert-manager" && ctx.certManagerInstalled
        ? [renderCertificate(broker, source, ctx.clusterDomain)]
        : [];
  if (!broker.spec.auth.enabled) return tls;
  return [
    ...tls,
    renderAuthSecret(broker, ctx),
    ...(ctx.serviceAccountIssuer
      ? [renderJwksConfigMap(broker, ctx.serviceAccountIssuer.jwks)]
      : []),
  ];
}

/** True when spec.tls.issuerRef asks for a Certificate that cannot be created; status reports it. */
export function certificateSkipped(broker: MessageBroker, ctx: RenderContext): boolean {
  return tlsSource(broker).kind === "cert-manager" && !ctx.certManagerInstalled;
}

function renderManagedStore(broker: MessageBroker, ctx: RenderContext): KubernetesObject[] {
  const store = resolveStore(broker.spec.storage);
  if (store.type === "postgres" && "managed" in store) {
    return [
      renderPostgresSecret(broker, ctx),
      renderPostgresService(broker),
      renderPostgresStatefulSet(broker, ctx),
      renderStorageNetworkPolicy(broker, "postgres"),
    ];
  }
  if (store.type === "cassandra" && "managed" in store) {
    return [
      renderCassandraService(broker),
      renderCassandraStatefulSet(broker, ctx),
      renderStorageNetworkPolicy(broker, "cassandra"),
    ];
  }
  return [];
}

/** True when the spec asks for a ServiceMonitor that cannot be created; status reports it as skipped. */
export function serviceMonitorSkipped(broker: MessageBroker, ctx: RenderContext): boolean {
  return broker.spec.monitoring.serviceMonitor.enabled && !ctx.serviceMonitorCrdInstalled;
}

export type { RenderContext } from "./context.ts";
export { defaultImages } from "./context.ts";
export { childNames, brokerPodName } from "./names.ts";
export { labelSelector, selectorLabels, standardLabels, ownerReference } from "./metadata.ts";
export { ports } from "./ports.ts";
export { clientEndpoints } from "./client-service.ts";
export { configHashAnnotation } from "./config-hash.ts";
export { passwordFromSecret, generatePassword } from "./credentials.ts";
export { envoyBootstrap } from "./envoy-configmap.ts";

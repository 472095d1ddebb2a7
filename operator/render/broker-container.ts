import type { V1Container, V1EnvVar } from "@kubernetes/client-node";
import { type BrokerEnvName, renderBrokerEnv } from "../../contract/broker-env.ts";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import type { RenderContext } from "./context.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";
import { resourceRequirements } from "./resources.ts";
import { restrictedContainerSecurityContext } from "./security.ts";
import { storeConnection } from "./store-connection.ts";
import { tracingEnv } from "./tracing-env.ts";
import { desiredWorkers } from "./workers.ts";
import { serviceAccountTokenAudience } from "./auth-secret.ts";
import { authFileKey, jwksKey, securityMounts, securityVolumeMounts } from "./tls.ts";

export const tmpVolume = "tmp";

const fieldEnv = (name: BrokerEnvName, fieldPath: string): V1EnvVar => ({
  name,
  valueFrom: { fieldRef: { fieldPath } },
});

/**
 * The broker container. Settings come from the broker ConfigMap (`envFrom`); the pod identity,
 * listen addresses, membership source, credentials (secretKeyRef only) and tracing are env.
 */
export function brokerContainer(broker: MessageBroker, ctx: RenderContext): V1Container {
  const { spec } = broker;
  const names = childNames(broker);
  const probe = (path: string) => ({ httpGet: { path, port: ports.http.name } });
  const workers = desiredWorkers(spec);
  return {
    name: "broker",
    image: spec.image ?? ctx.images.broker,
    ...(spec.imagePullPolicy ? { imagePullPolicy: spec.imagePullPolicy } : {}),
    ports: [
      { name: ports.grpc.name, containerPort: ports.grpc.port, protocol: "TCP" },
      ...listenerPorts(workers),
      { name: ports.http.name, containerPort: ports.http.port, protocol: "TCP" },
      ...(spec.web.enabled
        ? [{ name: ports.web.name, containerPort: ports.web.port, protocol: "TCP" }]
        : []),
    ],
    envFrom: [{ configMapRef: { name: names.config } }],
    env: [
      // First: later values expand $(POD_NAME) and $(POD_NAMESPACE).
      fieldEnv("POD_NAME", "metadata.name"),
      fieldEnv("POD_NAMESPACE", "metadata.namespace"),
      ...Object.entries(
        renderBrokerEnv({
          HERALD_GRPC_ADDR: { host: "0.0.0.0", port: ports.grpc.port },
          ...listenerEnv(workers),
          HERALD_HTTP_ADDR: { host: "0.0.0.0", port: ports.http.port },
          HERALD_WEB_ADDR: spec.web.enabled ? { host: "0.0.0.0", port: ports.web.port } : undefined,
          HERALD_MEMBERSHIP_CONFIGMAP: names.membership,
          ...securityEnv(broker, ctx),
        }),
      ).map(([name, value]) => ({ name, value })),
      ...storeConnection(broker).credentialEnv,
      ...tracingEnv(broker),
    ],
    // Startup allows for store migrations; readiness also waits for the membership epoch.
    startupProbe: { ...probe("/healthz"), periodSeconds: 2, failureThreshold: 60 },
    livenessProbe: { ...probe("/healthz"), periodSeconds: 10, failureThreshold: 3 },
    readinessProbe: { ...probe("/readyz"), periodSeconds: 5, failureThreshold: 2 },
    resources: resourceRequirements(spec.resources),
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [
      { name: tmpVolume, mountPath: "/tmp" },
      ...securityVolumeMounts(broker, ctx.serviceAccountIssuer !== undefined),
    ],
  };
}

/**
 * Where members call this pod: its cluster port, or with several workers each worker's own
 * listeners above the two bases (worker i on base + i), which replace the cluster port.
 */
function listenerEnv(workers: number) {
  if (workers === 1) return { HERALD_CLUSTER_ADDR: { host: "0.0.0.0", port: ports.cluster.port } };
  return {
    HERALD_WORKERS: workers,
    HERALD_WORKER_GRPC_ADDR: { host: "0.0.0.0", port: ports.workerGrpc.port },
    HERALD_WORKER_CLUSTER_ADDR: { host: "0.0.0.0", port: ports.workerCluster.port },
  };
}

/** The container ports of listenerEnv: of the workers' ports, only the bases (informational). */
function listenerPorts(workers: number) {
  const listed = workers === 1 ? [ports.cluster] : [ports.workerGrpc, ports.workerCluster];
  return listed.map(({ name, port }) => ({ name, containerPort: port, protocol: "TCP" }));
}

/**
 * TLS from the mounted Secret, members trusting its CA bundle; the auth file; and, when a user
 * names a ServiceAccount, the API server as a JWT issuer with its keys from the mounted ConfigMap.
 */
function securityEnv(broker: MessageBroker, ctx: RenderContext) {
  const { tls, auth } = broker.spec;
  const issuer = auth.enabled ? ctx.serviceAccountIssuer : undefined;
  return {
    ...(tls.enabled
      ? {
          HERALD_TLS_CERT_FILE: `${securityMounts.tls}/tls.crt`,
          HERALD_TLS_KEY_FILE: `${securityMounts.tls}/tls.key`,
          HERALD_TLS_CLUSTER_CA_FILE: `${securityMounts.tls}/ca.crt`,
        }
      : {}),
    ...(auth.enabled ? { HERALD_AUTH_FILE: `${securityMounts.auth}/${authFileKey}` } : {}),
    ...(issuer
      ? {
          HERALD_JWT_ISSUER: issuer.issuer,
          HERALD_JWT_AUDIENCE: serviceAccountTokenAudience,
          HERALD_JWT_JWKS_FILE: `${securityMounts.jwks}/${jwksKey}`,
        }
      : {}),
  };
}

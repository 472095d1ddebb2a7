import type { V1Container, V1Volume } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import type { RenderContext } from "./context.ts";
import { envoyConfigDir, envoyConfigKey } from "./envoy-configmap.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";
import { restrictedContainerSecurityContext } from "./security.ts";
import { securityVolumeMounts } from "./tls.ts";

const configVolume = "envoy-config";
/** The envoy user of the official image, which otherwise starts as root. */
const envoyUid = 101;

/**
 * The rate-limit proxy as a native sidecar (an init container that keeps running): it starts
 * before the broker and stops after it, so draining streams still pass through it on shutdown.
 */
export function envoySidecar(broker: MessageBroker, ctx: RenderContext): V1Container {
  return {
    name: "envoy",
    image: ctx.images.envoy,
    restartPolicy: "Always",
    command: ["envoy"],
    args: [
      "--config-path",
      `${envoyConfigDir}/${envoyConfigKey}`,
      "--log-level",
      "warn",
      "--disable-hot-restart",
    ],
    ports: [{ name: ports.envoyGrpc.name, containerPort: ports.envoyGrpc.port, protocol: "TCP" }],
    readinessProbe: { tcpSocket: { port: ports.envoyGrpc.name }, periodSeconds: 5 },
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    securityContext: {
      ...restrictedContainerSecurityContext(),
      runAsUser: envoyUid,
      runAsGroup: envoyUid,
    },
    volumeMounts: [
      { name: configVolume, mountPath: envoyConfigDir, readOnly: true },
      // The brokers' certificate, which the sidecar serves to clients (envoy-configmap.ts).
      ...securityVolumeMounts(broker, false).filter((mount) => mount.name === "tls"),
    ],
  };
}

export function envoyConfigVolume(broker: MessageBroker): V1Volume {
  return { name: configVolume, configMap: { name: childNames(broker).envoyConfig } };
}

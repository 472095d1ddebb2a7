import type { V1StatefulSet } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { renderBrokerConfigMap } from "./broker-configmap.ts";
import { brokerContainer, tmpVolume } from "./broker-container.ts";
import { configHash, configHashAnnotation } from "./config-hash.ts";
import type { RenderContext } from "./context.ts";
import { renderEnvoyConfigMap } from "./envoy-configmap.ts";
import { envoyConfigVolume, envoySidecar } from "./envoy-sidecar.ts";
import { childMetadata, selectorLabels, standardLabels } from "./metadata.ts";
import { childNames } from "./names.ts";
import { restrictedPodSecurityContext } from "./security.ts";
import { securityVolumes } from "./tls.ts";
import { desiredWorkers, workersAnnotation } from "./workers.ts";

/**
 * The brokers. Pods start in parallel (membership, not ordinals, orders the cluster); the config
 * hash covers only the ConfigMaps the pods read at start, so scaling never rolls them.
 */
export function renderBrokerStatefulSet(broker: MessageBroker, ctx: RenderContext): V1StatefulSet {
  const { podTemplate, rateLimit } = broker.spec;
  const names = childNames(broker);
  const workers = desiredWorkers(broker.spec);
  const hash = configHash({
    broker: renderBrokerConfigMap(broker).data,
    envoy: rateLimit.enabled ? renderEnvoyConfigMap(broker).data : undefined,
  });
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: childMetadata(broker, { name: names.statefulSet, component: "broker" }),
    spec: {
      replicas: ctx.statefulSetReplicas,
      serviceName: names.headlessService,
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate" },
      selector: { matchLabels: selectorLabels(broker, "broker") },
      template: {
        metadata: {
          labels: { ...podTemplate.labels, ...standardLabels(broker, "broker") },
          annotations: {
            ...podTemplate.annotations,
            [configHashAnnotation]: hash,
            // One worker writes none, so that pods from before workers existed do not roll.
            ...(workers > 1 ? { [workersAnnotation]: String(workers) } : {}),
          },
        },
        spec: {
          serviceAccountName: names.serviceAccount,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: podTemplate.terminationGracePeriodSeconds,
          securityContext: restrictedPodSecurityContext(),
          ...(podTemplate.nodeSelector ? { nodeSelector: podTemplate.nodeSelector } : {}),
          ...(podTemplate.affinity ? { affinity: podTemplate.affinity } : {}),
          ...(podTemplate.tolerations ? { tolerations: podTemplate.tolerations } : {}),
          ...(podTemplate.topologySpreadConstraints
            ? { topologySpreadConstraints: podTemplate.topologySpreadConstraints }
            : {}),
          ...(podTemplate.priorityClassName
            ? { priorityClassName: podTemplate.priorityClassName }
            : {}),
          ...(podTemplate.imagePullSecrets
            ? { imagePullSecrets: podTemplate.imagePullSecrets.map((name) => ({ name })) }
            : {}),
          ...(rateLimit.enabled ? { initContainers: [envoySidecar(broker, ctx)] } : {}),
          containers: [brokerContainer(broker, ctx)],
          volumes: [
            { name: tmpVolume, emptyDir: {} },
            ...(rateLimit.enabled ? [envoyConfigVolume(broker)] : []),
            ...securityVolumes(broker, ctx.serviceAccountIssuer !== undefined),
          ],
        },
      },
    },
  };
}

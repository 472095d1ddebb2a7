import type { V1EnvVar } from "@kubernetes/client-node";
import type { LibraryEnvName } from "../../contract/broker-env.ts";
import type { MessageBroker } from "../api/v1alpha1/index.ts";

const otel = (name: LibraryEnvName, value: string): V1EnvVar => ({ name, value });

/**
 * Standard OpenTelemetry SDK variables. POD_NAME and POD_NAMESPACE must come
 * earlier in the container's env, for the `$(VAR)` expansion in OTEL_RESOURCE_ATTRIBUTES.
 */
export function tracingEnv(broker: MessageBroker): V1EnvVar[] {
  const { tracing } = broker.spec;
  if (!tracing.enabled || !tracing.endpoint) return [];
  const resource = [
    "k8s.namespace.name=$(POD_NAMESPACE)",
    "k8s.pod.name=$(POD_NAME)",
    `k8s.statefulset.name=${broker.metadata.name}`,
    "service.instance.id=$(POD_NAMESPACE).$(POD_NAME)",
  ].join(",");
  return [
    otel("OTEL_SERVICE_NAME", "herald-broker"),
    otel("OTEL_RESOURCE_ATTRIBUTES", resource),
    otel("OTEL_EXPORTER_OTLP_ENDPOINT", tracing.endpoint),
    otel("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    otel("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
    otel("OTEL_TRACES_SAMPLER_ARG", String(tracing.samplingRatio)),
    // Metrics come from prom-client on /metrics.
    otel("OTEL_METRICS_EXPORTER", "none"),
  ];
}

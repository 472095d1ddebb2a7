import type { V1EnvVar } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";

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
    { name: "OTEL_SERVICE_NAME", value: "herald-broker" },
    { name: "OTEL_RESOURCE_ATTRIBUTES", value: resource },
    { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: tracing.endpoint },
    { name: "OTEL_EXPORTER_OTLP_PROTOCOL", value: "grpc" },
    { name: "OTEL_TRACES_SAMPLER", value: "parentbased_traceidratio" },
    { name: "OTEL_TRACES_SAMPLER_ARG", value: String(tracing.samplingRatio) },
    // Metrics come from prom-client on /metrics.
    { name: "OTEL_METRICS_EXPORTER", value: "none" },
  ];
}

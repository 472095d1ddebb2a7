import { describe, expect, it } from "vitest";
import { tracingEnv } from "./tracing-env.ts";
import { brokerFixture } from "../test/fixtures.ts";

describe("tracingEnv", () => {
  it("is empty while tracing is off", () => {
    expect(tracingEnv(brokerFixture({ tracing: { endpoint: "http://jaeger:4317" } }))).toEqual([]);
  });

  it("sets the standard OTLP/gRPC exporter, sampler and resource variables", () => {
    const env = tracingEnv(
      brokerFixture({
        tracing: { enabled: true, endpoint: "http://jaeger:4317", samplingRatio: 0.1 },
      }),
    );
    expect(Object.fromEntries(env.map((e) => [e.name, e.value]))).toEqual({
      OTEL_SERVICE_NAME: "herald-broker",
      OTEL_RESOURCE_ATTRIBUTES:
        "k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),k8s.statefulset.name=orders,service.instance.id=$(POD_NAMESPACE).$(POD_NAME)",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4317",
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.1",
      OTEL_METRICS_EXPORTER: "none",
    });
  });
});

import { describe, expect, it } from "vitest";
import { tracingRequested } from "./settings.ts";

describe("tracingRequested", () => {
  it("is off without an OTLP endpoint", () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: " " })).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: "x", OTEL_TRACES_SAMPLER: "always_on" })).toBe(
      false,
    );
  });

  it("is on with the general or the traces endpoint", () => {
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4317" })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://jaeger:4317" })).toBe(
      true,
    );
  });

  it("is off when the SDK or the trace exporter is disabled", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4317" };
    expect(tracingRequested({ ...endpoint, OTEL_SDK_DISABLED: "true" })).toBe(false);
    expect(tracingRequested({ ...endpoint, OTEL_SDK_DISABLED: "TRUE" })).toBe(false);
    expect(tracingRequested({ ...endpoint, OTEL_SDK_DISABLED: "false" })).toBe(true);
    expect(tracingRequested({ ...endpoint, OTEL_TRACES_EXPORTER: "none" })).toBe(false);
  });
});

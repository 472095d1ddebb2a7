/**
 * Starts the OpenTelemetry SDK before the broker loads:
 * `node --import ./broker/telemetry/register.ts broker/main.ts`
 * (npm run broker and the image do this). Configured by the standard OTEL_*
 * variables; when no OTLP endpoint is set (or OTEL_SDK_DISABLED=true) it
 * loads nothing. Traces go out over OTLP/gRPC (Jaeger and collectors take it
 * on 4317); metrics stay with prom-client and logs with pino.
 */
import { tracingRequested } from "./settings.ts";
import { markTracingStarted } from "./tracing.ts";

if (tracingRequested(process.env)) {
  process.env.OTEL_SERVICE_NAME ??= "herald-broker";
  process.env.OTEL_METRICS_EXPORTER ??= "none";
  process.env.OTEL_LOGS_EXPORTER ??= "none";
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/exporter-trace-otlp-grpc"),
  ]);
  const sdk = new NodeSDK({ traceExporter: new OTLPTraceExporter() });
  sdk.start();
  markTracingStarted(() => sdk.shutdown());
}

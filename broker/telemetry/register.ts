/**
 * Starts the OpenTelemetry SDK before the broker loads:
 * `node --import ./broker/telemetry/register.ts broker/main.ts`
 * (npm run broker and the image do this). Configured by the standard OTEL_*
 * variables; when no OTLP endpoint is set (or OTEL_SDK_DISABLED=true) it
 * loads nothing. Traces go out over OTLP/gRPC (Jaeger and collectors take it
 * on 4317); metrics stay with prom-client and logs with pino.
 *
 * PostgreSQL queries get client spans (under the flush span that issued them)
 * through the pg instrumentation; it patches `pg` through the ESM loader hook,
 * so it takes effect only when this file is preloaded with --import.
 */
import { register } from "node:module";
import { tracingRequested } from "./settings.ts";
import { markTracingStarted } from "./tracing.ts";

if (tracingRequested(process.env)) {
  process.env.OTEL_SERVICE_NAME ??= "herald-broker";
  process.env.OTEL_METRICS_EXPORTER ??= "none";
  process.env.OTEL_LOGS_EXPORTER ??= "none";
  // Hook only the modules instrumented here, so the rest of the graph loads untouched.
  register("@opentelemetry/instrumentation/hook.mjs", import.meta.url, {
    data: { include: ["pg"] },
  });
  const [{ NodeSDK }, { OTLPTraceExporter }, { PgInstrumentation }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/exporter-trace-otlp-grpc"),
    import("@opentelemetry/instrumentation-pg"),
  ]);
  const sdk = new NodeSDK({
    traceExporter: new OTLPTraceExporter(),
    // requireParentSpan: a query outside a traced call (a purge, a health probe) makes no trace of its own.
    instrumentations: [new PgInstrumentation({ requireParentSpan: true })],
  });
  sdk.start();
  markTracingStarted(() => sdk.shutdown());
}

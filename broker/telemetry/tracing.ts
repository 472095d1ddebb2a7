/**
 * Tracing for the broker's own spans: one server span per RPC (parented on
 * the W3C trace context of the incoming gRPC metadata) and one span per batch
 * flush, linked to the publishes it carried, and one span per delivery attempt
 * of a consumer group, linked to the message's publish. `tracingEnabled()` is false
 * unless register.ts started the SDK, and callers then skip every span
 * call, so an untraced broker pays nothing.
 */
import type { Metadata } from "@grpc/grpc-js";
import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";

const tracerName = "herald-broker";
let enabled = false;
let shutdownHook: (() => Promise<void>) | undefined;

/** Called by register.ts once the SDK runs; `shutdown` flushes pending spans. */
export function markTracingStarted(shutdown: () => Promise<void>): void {
  enabled = true;
  shutdownHook = shutdown;
}

export function tracingEnabled(): boolean {
  return enabled;
}

/** Exports the spans still buffered; call before the process exits. */
export async function shutdownTracing(): Promise<void> {
  const hook = shutdownHook;
  shutdownHook = undefined;
  enabled = false;
  await hook?.();
}

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const values = carrier.get(key).filter((value): value is string => typeof value === "string");
    return values.length === 0 ? undefined : values;
  },
};

const metadataSetter: TextMapSetter<Metadata> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

/** The trace context (traceparent, tracestate, baggage) carried by incoming gRPC metadata. */
export function extractTraceContext(metadata: Metadata): Context {
  return propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
}

/**
 * Writes the active (or given) trace context into outgoing gRPC metadata, so
 * a call to another broker continues this trace. Without tracing it does nothing.
 */
export function injectTraceContext(metadata: Metadata, ctx: Context = context.active()): void {
  if (enabled) propagation.inject(ctx, metadata, metadataSetter);
}

/** Starts the server span of an RPC; run the handler with `context.with(serverSpanContext(span, parent), …)`. */
export function startServerSpan(name: string, metadata: Metadata, attributes: Attributes): Span {
  const parent = extractTraceContext(metadata);
  return trace.getTracer(tracerName).startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
}

export function endSpan(span: Span, grpcCode: number, message?: string): void {
  span.setAttribute("rpc.grpc.status_code", grpcCode);
  if (grpcCode !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.end();
}

/** The span context of the active span, to link a later flush to it. */
export function activeSpanContext(): SpanContext | undefined {
  return trace.getActiveSpan()?.spanContext();
}

/**
 * Runs one batch flush in its own root span, linked to the publish spans of
 * the messages it carries (a flush serves many traces, so it parents none).
 */
export async function traceFlush<T>(
  links: readonly Link[],
  attributes: Attributes,
  write: () => Promise<T>,
): Promise<T> {
  const span = trace.getTracer(tracerName).startSpan("herald.batch.flush", {
    kind: SpanKind.INTERNAL,
    root: true,
    links: [...links],
    attributes,
  });
  try {
    return await context.with(trace.setSpan(context.active(), span), write);
  } catch (err) {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: err instanceof Error ? err.message : String(err),
    });
    throw err;
  } finally {
    span.end();
  }
}

/**
 * One delivery attempt of a consumer group, from the delivery to its outcome: a root span (a
 * message is delivered long after, and outside, the publish call) linked to the publish span.
 */
export function startDeliverySpan(publish: SpanContext | undefined, attributes: Attributes): Span {
  return trace.getTracer(tracerName).startSpan("herald.group.deliver", {
    kind: SpanKind.PRODUCER,
    root: true,
    links: publish === undefined ? [] : [{ context: publish }],
    attributes,
  });
}

export { context, trace };

/**
 * Wraps the Broker handlers (outermost, so a forwarded call counts on the
 * member the client called) with the call metrics and, when tracing is on, one
 * server span per RPC. The member a call is forwarded to (or a Subscribe
 * relayed to) traces it but does not count it again. Unary calls are measured
 * until they answer; a Subscribe until its stream is established (response
 * headers sent) or refused, since its lifetime is the client's choice.
 */
import {
  type Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type StatusObject,
  status,
} from "@grpc/grpc-js";
import type { Attributes, Span } from "@opentelemetry/api";
import type { SubscribeRequest } from "../api/gen/broker.ts";
import { forwardedEpoch } from "../cluster/forwarded-metadata.ts";
import type { Method, MethodRecorder } from "../metrics.ts";
import { context, endSpan, startServerSpan, trace, tracingEnabled } from "../telemetry/tracing.ts";
import type { BrokerHandlers } from "./broker-service.ts";
import type { PublishStreamCall } from "./publish-stream.ts";

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;
type CallError = Partial<StatusObject> | null | undefined;

const spanNames: Record<Method, string> = {
  publish: "broker.Broker/Publish",
  publish_batch: "broker.Broker/PublishBatch",
  fetch: "broker.Broker/Fetch",
  subscribe: "broker.Broker/Subscribe",
  publish_stream: "broker.Broker/PublishStream",
};

/** A stream's messages have subjects of their own: its span names none. */
const rpcAttributes = (method: Method, subject?: string): Attributes => ({
  "rpc.system": "grpc",
  "rpc.service": "broker.Broker",
  "rpc.method": spanNames[method].slice("broker.Broker/".length),
  "messaging.system": "herald",
  ...(subject === undefined ? {} : { "messaging.destination.name": subject }),
});

const uncounted: MethodRecorder = { record: () => undefined };

export function observeService<Handlers extends BrokerHandlers>(
  handlers: Handlers,
  recorder: MethodRecorder,
): Handlers {
  const traced = tracingEnabled();
  // A call another member forwarded was already counted by that member.
  const recorderFor = (metadata: Metadata): MethodRecorder =>
    forwardedEpoch(metadata) === undefined ? recorder : uncounted;

  const unary = <Req, Res>(
    method: Method,
    handler: Unary<Req, Res>,
    describe: (request: Req) => { subject: string; attributes?: Attributes },
    onResponse: (span: Span, response: Res) => void,
  ): Unary<Req, Res> => {
    if (!traced) {
      return (call, callback) => {
        const started = performance.now();
        handler(call, (err, value, trailer, flags) => {
          recorderFor(call.metadata).record(method, err === null || err === undefined, started);
          callback(err, value, trailer, flags);
        });
      };
    }
    return (call, callback) => {
      const started = performance.now();
      const { subject, attributes } = describe(call.request);
      const span = startServerSpan(spanNames[method], call.metadata, {
        ...rpcAttributes(method, subject),
        ...attributes,
      });
      const answer: sendUnaryData<Res> = (err, value, trailer, flags) => {
        const ok = err === null || err === undefined;
        recorderFor(call.metadata).record(method, ok, started);
        if (ok && value !== null && value !== undefined) onResponse(span, value);
        endSpan(span, ok ? status.OK : (err.code ?? status.UNKNOWN), ok ? undefined : err.details);
        callback(err, value, trailer, flags);
      };
      context.with(trace.setSpan(context.active(), span), () => handler(call, answer));
    };
  };

  const subscribe = (call: ServerWritableStream<SubscribeRequest, Buffer>) => {
    const started = performance.now();
    const span = traced
      ? startServerSpan(spanNames.subscribe, call.metadata, {
          ...rpcAttributes("subscribe", call.request.subject),
          "herald.start_id": call.request.startId,
        })
      : undefined;
    let settled = false;
    const settle = (ok: boolean, code: number, details?: string) => {
      if (settled) return;
      settled = true;
      recorderFor(call.metadata).record("subscribe", ok, started);
      if (span !== undefined) endSpan(span, code, details);
    };
    // The handler sends headers once the subscription is registered, or emits the refusal.
    const sendMetadata = call.sendMetadata.bind(call);
    call.sendMetadata = (metadata: Metadata) => {
      settle(true, status.OK);
      sendMetadata(metadata);
    };
    call.once("error", (err: CallError) =>
      settle(false, err?.code ?? status.UNKNOWN, err?.details),
    );
    call.once("cancelled", () => settle(false, status.CANCELLED));
    if (span === undefined) handlers.subscribe(call);
    else context.with(trace.setSpan(context.active(), span), () => handlers.subscribe(call));
  };

  /** One span per stream (its messages are counted one by one where they are answered). */
  const publishStream = (call: PublishStreamCall) => {
    if (!traced) return handlers.publishStream(call);
    const span = startServerSpan(
      spanNames.publish_stream,
      call.metadata,
      rpcAttributes("publish_stream"),
    );
    let ended = false;
    const end = (code: number, details?: string) => {
      if (ended) return;
      ended = true;
      endSpan(span, code, details);
    };
    call.once("finish", () => end(status.OK));
    call.once("error", (err: CallError) => end(err?.code ?? status.UNKNOWN, err?.details));
    call.once("cancelled", () => end(status.CANCELLED));
    context.with(trace.setSpan(context.active(), span), () => handlers.publishStream(call));
  };

  return {
    // Calls that are not message methods (ClusterMembers) pass as they are.
    ...handlers,
    publish: unary(
      "publish",
      handlers.publish,
      (request) => ({
        subject: request.subject,
        attributes: { "messaging.message.body.size": request.body.length },
      }),
      (span, response) => span.setAttribute("messaging.message.id", response.id),
    ),
    publishBatch: unary(
      "publish_batch",
      handlers.publishBatch,
      (request) => ({
        subject: request.messages[0]?.subject ?? "",
        attributes: { "messaging.batch.message_count": request.messages.length },
      }),
      (span, response) => {
        if (response.ids.length > 0) span.setAttribute("herald.message.ids", response.ids);
      },
    ),
    fetch: unary(
      "fetch",
      handlers.fetch,
      (request) => ({
        subject: request.subject,
        attributes: { "messaging.message.id": request.id },
      }),
      () => undefined,
    ),
    subscribe,
    publishStream,
    // A Consume stream lives as long as its member; it is measured by the group metrics.
    consume: handlers.consume,
    // An admin call, not a message method.
    listGroups: handlers.listGroups,
  };
}

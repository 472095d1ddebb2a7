/**
 * A real OTLP/gRPC trace endpoint for tests: serves
 * opentelemetry.proto.collector.trace.v1.TraceService/Export on 127.0.0.1
 * and keeps the spans it receives. It decodes just the fields tests assert
 * on (ids, name, kind, attributes, links) with the protobuf wire reader, so
 * no .proto file or network fetch is needed.
 */
import { Server, ServerCredentials, type ServiceDefinition } from "@grpc/grpc-js";
import { BinaryReader } from "@bufbuild/protobuf/wire";

export interface ReceivedLink {
  readonly traceId: string;
  readonly spanId: string;
}

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly links: readonly ReceivedLink[];
}

export const spanKindServer = 2;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Calls `onField` for every field of one message; it reads the value or returns false to skip it. */
function eachField(
  bytes: Uint8Array,
  onField: (field: number, reader: BinaryReader) => boolean,
): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (!onField(field, reader)) reader.skip(wireType);
  }
}

/** AnyValue: string 1, bool 2, int 3, double 4. */
function decodeAnyValue(bytes: Uint8Array): string | number | boolean | undefined {
  let value: string | number | boolean | undefined;
  eachField(bytes, (field, reader) => {
    if (field === 1) value = reader.string();
    else if (field === 2) value = reader.bool();
    else if (field === 3) value = Number(reader.int64());
    else if (field === 4) value = reader.double();
    else return false;
    return true;
  });
  return value;
}

function decodeSpan(bytes: Uint8Array): ReceivedSpan {
  const span = {
    traceId: "",
    spanId: "",
    parentSpanId: "",
    name: "",
    kind: 0,
    attributes: {} as Record<string, string | number | boolean>,
    links: [] as ReceivedLink[],
  };
  eachField(bytes, (field, reader) => {
    switch (field) {
      case 1:
        span.traceId = hex(reader.bytes());
        return true;
      case 2:
        span.spanId = hex(reader.bytes());
        return true;
      case 4:
        span.parentSpanId = hex(reader.bytes());
        return true;
      case 5:
        span.name = reader.string();
        return true;
      case 6:
        span.kind = reader.int32();
        return true;
      case 9: {
        let key = "";
        let value: string | number | boolean | undefined;
        eachField(reader.bytes(), (kvField, kv) => {
          if (kvField === 1) key = kv.string();
          else if (kvField === 2) value = decodeAnyValue(kv.bytes());
          else return false;
          return true;
        });
        if (value !== undefined) span.attributes[key] = value;
        return true;
      }
      case 13: {
        const link = { traceId: "", spanId: "" };
        eachField(reader.bytes(), (linkField, linkReader) => {
          if (linkField === 1) link.traceId = hex(linkReader.bytes());
          else if (linkField === 2) link.spanId = hex(linkReader.bytes());
          else return false;
          return true;
        });
        span.links.push(link);
        return true;
      }
      default:
        return false;
    }
  });
  return span;
}

/** ExportTraceServiceRequest → ResourceSpans (1) → ScopeSpans (2) → Span (2). */
export function decodeExportRequest(bytes: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  const nested = (field: number, onMessage: (message: Uint8Array) => void) =>
    function (this: void, bytesOf: Uint8Array) {
      eachField(bytesOf, (candidate, reader) => {
        if (candidate !== field) return false;
        onMessage(reader.bytes());
        return true;
      });
    };
  nested(
    1,
    nested(
      2,
      nested(2, (span) => spans.push(decodeSpan(span))),
    ),
  )(bytes);
  return spans;
}

const identity = (value: Buffer) => value;

const traceServiceDefinition: ServiceDefinition = {
  export: {
    path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    // An empty ExportTraceServiceResponse (no partial_success).
    responseSerialize: () => Buffer.alloc(0),
    responseDeserialize: identity,
  },
};

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly #server = new Server();
  #port = 0;

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    receiver.#server.addService(traceServiceDefinition, {
      export: (call: { request: Buffer }, callback: (err: null, response: Buffer) => void) => {
        receiver.spans.push(...decodeExportRequest(call.request));
        callback(null, Buffer.alloc(0));
      },
    });
    receiver.#port = await new Promise<number>((resolve, reject) =>
      receiver.#server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    return receiver;
  }

  /** The OTEL_EXPORTER_OTLP_ENDPOINT of this receiver. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.tryShutdown(() => resolve()));
  }
}

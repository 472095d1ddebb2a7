/**
 * Raw gRPC access for what the typed client cannot do: call the reflection
 * and health services by their published protos, and send a malformed frame.
 */
import type { IncomingHttpHeaders } from "node:http2";
import { connect } from "node:http2";
import { Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { loadSync, type MethodDefinition } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { createRequire } from "node:module";
import { z } from "zod";
import { PublishStreamResponse } from "../api/gen/broker.ts";

const require = createRequire(import.meta.url);
const reflectionProtoPath =
  require.resolve("@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto");

function method(
  protoPath: string,
  service: string,
  name: string,
): MethodDefinition<object, object> {
  const definition = loadSync(protoPath, { enums: String })[service];
  if (definition === undefined || !(name in definition))
    throw new Error(`${service}/${name} not in ${protoPath}`);
  return (definition as Record<string, MethodDefinition<object, object>>)[name] as MethodDefinition<
    object,
    object
  >;
}

/** A broker's address, with the CA to trust and the token to send when it has TLS and authentication. */
export type ProbeTarget =
  string | { readonly address: string; readonly ca?: Buffer; readonly token?: string };

const targetOf = (target: ProbeTarget) =>
  typeof target === "string" ? { address: target } : target;

/** A client on `target`, and the metadata its calls carry. */
function probeClient(target: ProbeTarget): { client: Client; metadata: Metadata } {
  const { address, ca, token } = targetOf(target);
  const metadata = new Metadata();
  if (token !== undefined) metadata.set("authorization", `Bearer ${token}`);
  const channel = ca === undefined ? credentials.createInsecure() : credentials.createSsl(ca);
  return { client: new Client(address, channel), metadata };
}

const ListServicesResponse = z.object({
  listServicesResponse: z.object({ service: z.array(z.object({ name: z.string() })) }),
});

/** Service names listed by grpc.reflection.v1, as grpcurl's `list` shows them. */
export function listServicesByReflection(target: ProbeTarget): Promise<string[]> {
  const info = method(
    reflectionProtoPath,
    "grpc.reflection.v1.ServerReflection",
    "ServerReflectionInfo",
  );
  const { client, metadata } = probeClient(target);
  return new Promise<string[]>((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      info.path,
      info.requestSerialize,
      info.responseDeserialize,
      metadata,
    );
    call.on("data", (response: unknown) => {
      resolve(
        ListServicesResponse.parse(response).listServicesResponse.service.map(({ name }) => name),
      );
      call.end();
    });
    call.on("error", reject);
    call.write({ listServices: "*" });
  }).finally(() => client.close());
}

/** grpc.health.v1 Check for `service` ("" = the whole server). */
export function checkHealth(target: ProbeTarget, service: string): Promise<string> {
  const check = method(healthProtoPath, "grpc.health.v1.Health", "Check");
  const { client, metadata } = probeClient(target);
  return new Promise<string>((resolve, reject) => {
    client.makeUnaryRequest(
      check.path,
      check.requestSerialize,
      check.responseDeserialize,
      { service },
      metadata,
      (err: ServiceError | null, response?: object) =>
        err ? reject(err) : resolve(z.object({ status: z.string() }).parse(response).status),
    );
  }).finally(() => client.close());
}

/**
 * Sends one length-prefixed gRPC frame holding `payload` to `path` over raw
 * HTTP/2 and returns the grpc-status trailer.
 */
export function sendRawFrame(target: ProbeTarget, path: string, payload: Buffer): Promise<number> {
  const { address, ca, token } = targetOf(target);
  const session =
    ca === undefined ? connect(`http://${address}`) : connect(`https://${address}`, { ca });
  return new Promise<number>((resolve, reject) => {
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    });
    const header = Buffer.alloc(5);
    header.writeUInt32BE(payload.length, 1);
    stream.on("trailers", (trailers: IncomingHttpHeaders) =>
      resolve(Number(trailers["grpc-status"])),
    );
    stream.on("response", (headers) => {
      if (headers["grpc-status"] !== undefined) resolve(Number(headers["grpc-status"]));
    });
    stream.on("error", reject);
    stream.on("data", () => undefined);
    stream.end(Buffer.concat([header, payload]));
  }).finally(() => session.close());
}

/**
 * Opens a PublishStream, writes each of `frames` as it is (bytes that need not decode), half-closes,
 * and returns every response and the status the stream ended with.
 */
export function publishStreamFrames(
  target: ProbeTarget,
  frames: readonly Buffer[],
): Promise<{ responses: PublishStreamResponse[]; code: number }> {
  const { client, metadata } = probeClient(target);
  return new Promise<{ responses: PublishStreamResponse[]; code: number }>((resolve) => {
    const call = client.makeBidiStreamRequest(
      "/broker.Broker/PublishStream",
      (frame: Buffer) => frame,
      (bytes: Buffer) => PublishStreamResponse.decode(bytes),
      metadata,
    );
    const responses: PublishStreamResponse[] = [];
    call.on("data", (response: PublishStreamResponse) => responses.push(response));
    call.on("error", (err: ServiceError) => resolve({ responses, code: err.code }));
    call.on("end", () => resolve({ responses, code: status.OK }));
    for (const frame of frames) call.write(frame);
    call.end();
  }).finally(() => client.close());
}

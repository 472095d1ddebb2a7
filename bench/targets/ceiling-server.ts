/**
 * The ceiling: broker.proto served by @grpc/grpc-js with the broker's server
 * options, in a process of its own like the broker, with handlers that do
 * nothing. Publish answers at once; Subscribe writes `start_id` pre-encoded
 * MessageResponse frames (body size = the number after the last `/` of the
 * subject) as fast as the stream drains, then ends.
 *
 *   node bench/targets/ceiling-server.ts   → prints "ceiling listening 127.0.0.1:PORT"
 */
import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerWritableStream,
  type sendUnaryData,
} from "@grpc/grpc-js";
import {
  BrokerService,
  MessageResponse,
  type PublishBatchResponse,
  type PublishResponse,
  type SubscribeRequest,
} from "../../broker/api/gen/broker.ts";

const server = new Server({
  "grpc.enable_channelz": 0,
  "grpc.max_receive_message_length": 4 * 1024 * 1024 + 64 * 1024,
  "grpc.max_send_message_length": 4 * 1024 * 1024 + 64 * 1024,
});

async function writeFrames(call: ServerWritableStream<SubscribeRequest, Buffer>): Promise<void> {
  const size = Number(call.request.subject.split("/").at(-1)) || 0;
  const frame = Buffer.from(
    MessageResponse.encode({ id: 1, body: Buffer.alloc(size, 0x61), subject: "" }).finish(),
  );
  call.sendMetadata(new Metadata());
  let cancelled = false;
  call.on("cancelled", () => (cancelled = true));
  for (let i = 0; i < call.request.startId && !cancelled; i++) {
    if (!call.write(frame)) await new Promise((resolve) => call.once("drain", resolve));
  }
  call.end();
}

server.addService(
  {
    ...BrokerService,
    subscribe: { ...BrokerService.subscribe, responseSerialize: (frame: Buffer) => frame },
  },
  {
    publish: (_call: unknown, callback: sendUnaryData<PublishResponse>) =>
      callback(null, { id: 0 }),
    publishBatch: (_call: unknown, callback: sendUnaryData<PublishBatchResponse>) =>
      callback(null, { ids: [] }),
    fetch: (_call: unknown, callback: sendUnaryData<MessageResponse>) =>
      callback(null, { id: 0, body: Buffer.alloc(0), subject: "" }),
    subscribe: (call: ServerWritableStream<SubscribeRequest, Buffer>) => void writeFrames(call),
  },
);

server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  console.log(`ceiling listening 127.0.0.1:${port}`);
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));

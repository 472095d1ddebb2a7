/**
 * The gRPC side of the load generator, for Herald and the ceiling alike: the
 * generated @grpc/grpc-js client of broker.proto, one HTTP/2 connection per
 * client (a local subchannel pool, so channels do not share a connection).
 */
import {
  credentials,
  Metadata,
  status,
  type ClientReadableStream,
  type ServiceError,
} from "@grpc/grpc-js";
import { BrokerClient, type MessageResponse } from "../../broker/api/gen/broker.ts";
import type { Subscriber, TargetClient } from "../targets/target.ts";

const callTimeoutMs = 30_000;

export function grpcChannel(address: string): BrokerClient {
  return new BrokerClient(address, credentials.createInsecure(), {
    "grpc.enable_channelz": 0,
    "grpc.use_local_subchannel_pool": 1,
    "grpc.max_receive_message_length": -1,
    "grpc.max_send_message_length": -1,
  });
}

const deadline = () => ({ deadline: Date.now() + callTimeoutMs });

export interface GrpcClient extends TargetClient {
  fetch(subject: string, id: number): Promise<MessageResponse>;
  readonly channel: BrokerClient;
}

export async function grpcClient(address: string): Promise<GrpcClient> {
  const channel = grpcChannel(address);
  await new Promise<void>((resolve, reject) =>
    channel.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())),
  );
  return {
    channel,
    publish: (subject, body) =>
      new Promise((resolve, reject) =>
        channel.publish(
          { subject, body, expirationSeconds: 0 },
          new Metadata(),
          deadline(),
          (err) => (err ? reject(err) : resolve()),
        ),
      ),
    fetch: (subject, id) =>
      new Promise((resolve, reject) =>
        channel.fetch({ subject, id }, new Metadata(), deadline(), (err, response) =>
          err ? reject(err) : resolve(response),
        ),
      ),
    close: () => {
      channel.close();
      return Promise.resolve();
    },
  };
}

/**
 * A connection carrying Subscribe streams. A subscription resolves once the
 * server sent its response headers (Herald sends them once the subscriber is
 * registered). `startId` is passed through (the ceiling reads it as a count).
 * A stream cut off for falling behind resumes after the last id received.
 */
export async function grpcSubscriber(address: string, startId = 0): Promise<Subscriber> {
  const channel = grpcChannel(address);
  await new Promise<void>((resolve, reject) =>
    channel.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())),
  );
  const streams = new Set<ClientReadableStream<MessageResponse>>();
  return {
    async subscribe(subject, onMessage) {
      let closed = false;
      let next = startId;
      let current: ClientReadableStream<MessageResponse> | undefined;
      const open = () => {
        const call = channel.subscribe({ subject, startId: next });
        current = call;
        streams.add(call);
        call.on("data", (message: MessageResponse) => {
          next = message.id + 1;
          onMessage(message.body);
        });
        call.on("error", (err: ServiceError) => {
          streams.delete(call);
          // A subscriber that fell too far behind is cut off; like the Herald client it
          // resumes after the last id it received (a cancel ends the stream with CANCELLED).
          if (!closed && err.code === status.RESOURCE_EXHAUSTED && next > 1) open();
        });
        return call;
      };
      const call = open();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          call.cancel();
          reject(new Error(`subscribe ${subject}: not registered within 10 s`));
        }, 10_000);
        call.once("metadata", () => {
          clearTimeout(timer);
          resolve();
        });
        call.once("error", (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      return {
        close: () => {
          closed = true;
          current?.cancel();
        },
      };
    },
    close: () => {
      for (const call of streams) call.cancel();
      channel.close();
      return Promise.resolve();
    },
  };
}

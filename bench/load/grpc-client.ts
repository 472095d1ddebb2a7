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
import { randomUUID } from "node:crypto";
import {
  BrokerClient,
  type MessageResponse,
  type PublishStreamResponse,
} from "../../broker/api/gen/broker.ts";
import type { Subscriber, TargetClient } from "../targets/target.ts";

const callTimeoutMs = 30_000;

/** TLS and a bearer token, for a broker with security on (broker/README.md#security). */
export interface ClientSecurity {
  readonly ca: Buffer;
  readonly token: string;
}

/** Metadata of every call: the bearer token when there is one. */
const callMetadata = (security: ClientSecurity | undefined) => {
  const metadata = new Metadata();
  if (security !== undefined) metadata.set("authorization", `Bearer ${security.token}`);
  return metadata;
};

export function grpcChannel(address: string, security?: ClientSecurity): BrokerClient {
  const channelCredentials =
    security === undefined ? credentials.createInsecure() : credentials.createSsl(security.ca);
  return new BrokerClient(address, channelCredentials, {
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

/**
 * `keyed`: every publish carries a fresh idempotency key, so the broker looks each one up
 * (broker/README.md#idempotent-publish) and none is a repeat.
 */
export async function grpcClient(
  address: string,
  security?: ClientSecurity,
  options: { readonly keyed?: boolean } = {},
): Promise<GrpcClient> {
  const channel = grpcChannel(address, security);
  await new Promise<void>((resolve, reject) =>
    channel.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())),
  );
  return {
    channel,
    publish: (subject, body) =>
      new Promise((resolve, reject) =>
        channel.publish(
          {
            subject,
            body,
            expirationSeconds: 0,
            idempotencyKey: options.keyed === true ? randomUUID() : "",
          },
          callMetadata(security),
          deadline(),
          (err) => (err ? reject(err) : resolve()),
        ),
      ),
    fetch: (subject, id) =>
      new Promise((resolve, reject) =>
        channel.fetch({ subject, id }, callMetadata(security), deadline(), (err, response) =>
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
 * A connection with one PublishStream: `publish` sends on the stream and
 * resolves on its ack, so several callers share the stream, each with one
 * publish in flight (the pipelined client of `HeraldClient.publisher()`).
 */
export async function grpcStreamClient(
  address: string,
  security?: ClientSecurity,
): Promise<TargetClient> {
  const channel = grpcChannel(address, security);
  await new Promise<void>((resolve, reject) =>
    channel.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())),
  );
  const call = channel.publishStream(callMetadata(security));
  const pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let sequence = 0;
  const failAll = (err: Error) => {
    for (const waiter of pending.values()) waiter.reject(err);
    pending.clear();
  };
  call.on("data", (response: PublishStreamResponse) => {
    const waiter = pending.get(response.sequence);
    pending.delete(response.sequence);
    if (response.error === undefined) waiter?.resolve();
    else waiter?.reject(new Error(`${response.error.code}: ${response.error.message}`));
  });
  call.on("error", failAll);
  call.on("status", () => failAll(new Error("publish stream ended")));
  return {
    publish: (subject, body) =>
      new Promise((resolve, reject) => {
        sequence += 1;
        pending.set(sequence, { resolve, reject });
        call.write({
          sequence,
          message: { subject, body, expirationSeconds: 0, idempotencyKey: "" },
        });
      }),
    close: () => {
      call.end();
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
export async function grpcSubscriber(
  address: string,
  startId = 0,
  security?: ClientSecurity,
): Promise<Subscriber> {
  const channel = grpcChannel(address, security);
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
        const call = channel.subscribe({ subject, startId: next }, callMetadata(security));
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

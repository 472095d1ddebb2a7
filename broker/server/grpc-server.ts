/**
 * The gRPC servers. The client port: the Broker service plus grpc.health.v1 (for Kubernetes
 * gRPC probes) and server reflection (for grpcurl). Reflection is built from
 * the FileDescriptorSet embedded at code generation, so no .proto file is
 * needed at run time. The cluster port, when it has one: calls between members.
 */
import { Server, type ServerInterceptor, type ServerOptions } from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer, loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation, protoPath as healthProtoPath } from "grpc-health-check";
import { BrokerService } from "../api/gen/broker.ts";
import { type ClusterServer, ClusterService } from "../api/gen/cluster.ts";
import { brokerFileDescriptorSet } from "../api/gen/broker-descriptor.ts";
import { forwardedCallsOnly } from "../cluster/listener-roles.ts";
import type { BrokerHandlers } from "./broker-service.ts";
import { decodePublishStreamFrame } from "./stream-frames.ts";

/** What bounds every connection and call of a listener. */
export interface ListenerLimits {
  readonly maxMessageBytes: number;
  /** 0 = unlimited. */
  readonly maxConnectionAgeMs: number;
  /** 0 = never. */
  readonly maxConnectionIdleMs: number;
  readonly maxConcurrentStreams: number;
  /** Pings find dead peers: every `timeMs` (0 = never), each answered within `timeoutMs`. */
  readonly keepalive: { readonly timeMs: number; readonly timeoutMs: number };
}

export interface GrpcServerOptions extends ListenerLimits {
  readonly service: BrokerHandlers;
  /** Made by `createHealth` before the server, since the store guard reports to it. */
  readonly health: HealthImplementation;
  /**
   * The internal broker-to-broker service (handoff), served here when calls between members have
   * no listener of their own; not reflected.
   */
  readonly cluster?: ClusterServer;
  /** When they do: refuses calls forwarded by a member (broker/cluster/listener-roles.ts). */
  readonly interceptors?: ServerInterceptor[];
}

export interface ClusterServerOptions extends ListenerLimits {
  /** The Broker service as the client port serves it, for calls forwarded by members. */
  readonly service: BrokerHandlers;
  readonly cluster: ClusterServer;
}

/** Room for the subject and framing around a body of the maximum size. */
const requestOverheadBytes = 64 * 1024;

export const brokerServiceName = "broker.Broker";

/**
 * The generated definition, except that Subscribe writes MessageResponses already serialized by the
 * hub, and a PublishStream frame that does not decode is answered alone instead of ending the stream.
 */
const brokerServiceDefinition = {
  ...BrokerService,
  subscribe: { ...BrokerService.subscribe, responseSerialize: (frame: Buffer) => frame },
  publishStream: { ...BrokerService.publishStream, requestDeserialize: decodePublishStreamFrame },
};

/** grpc.health.v1 statuses, NOT_SERVING until the store answers. */
export function createHealth(): HealthImplementation {
  return new HealthImplementation({ "": "NOT_SERVING", [brokerServiceName]: "NOT_SERVING" });
}

function serverOptions(
  options: ListenerLimits,
  interceptors: ServerInterceptor[] = [],
): ServerOptions {
  return {
    // channelz keeps per-call state that is known to leak.
    "grpc.enable_channelz": 0,
    // Oversized frames are refused by grpc-js with RESOURCE_EXHAUSTED; bodies just over the
    // limit reach validation, which names the limit.
    "grpc.max_receive_message_length": options.maxMessageBytes + requestOverheadBytes,
    "grpc.max_send_message_length": options.maxMessageBytes + requestOverheadBytes,
    ...(options.maxConnectionAgeMs > 0
      ? { "grpc.max_connection_age_ms": options.maxConnectionAgeMs }
      : {}),
    // Bound what one client holds: idle connections close, and calls beyond the limit wait in the client.
    ...(options.maxConnectionIdleMs > 0
      ? { "grpc.max_connection_idle_ms": options.maxConnectionIdleMs }
      : {}),
    "grpc.max_concurrent_streams": options.maxConcurrentStreams,
    // A peer that vanished without closing (a powered-off host, a dropped route) holds its
    // connection and calls until a ping goes unanswered.
    ...(options.keepalive.timeMs > 0
      ? {
          "grpc.keepalive_time_ms": options.keepalive.timeMs,
          "grpc.keepalive_timeout_ms": options.keepalive.timeoutMs,
        }
      : {}),
    ...(interceptors.length > 0 ? { interceptors } : {}),
  };
}

export function createGrpcServer(options: GrpcServerOptions): Server {
  const server = new Server(serverOptions(options, options.interceptors));
  server.addService(brokerServiceDefinition, options.service);
  if (options.cluster !== undefined) server.addService(ClusterService, options.cluster);

  options.health.addToServer(server);

  const reflected = {
    ...loadFileDescriptorSetFromBuffer(Buffer.from(brokerFileDescriptorSet, "base64")),
    ...loadSync(healthProtoPath),
  };
  new ReflectionService(reflected).addToServer(server);
  return server;
}

/** The cluster listener: forwarded Broker calls and the Cluster service, nothing for clients. */
export function createClusterServer(options: ClusterServerOptions): Server {
  const server = new Server(serverOptions(options, [forwardedCallsOnly(brokerServiceName)]));
  server.addService(brokerServiceDefinition, options.service);
  server.addService(ClusterService, options.cluster);
  return server;
}

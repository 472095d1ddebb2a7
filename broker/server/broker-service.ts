/**
 * The Broker gRPC handlers: validate, check the drain gate, call the publish
 * path / store / subscription hub, and report failures through toGrpcStatus.
 */
import {
  type handleServerStreamingCall,
  Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { BrokerServer, MessageResponse, SubscribeRequest } from "../api/gen/broker.ts";
import { asBuffer, encodeMessageResponse } from "../api/wire.ts";
import { isPattern, patternProblem } from "../../contract/subjects.ts";
import {
  InvalidArgumentError,
  MessageNotFoundError,
  ShuttingDownError,
  StoreUnavailableError,
  toGrpcStatus,
} from "../errors.ts";
import type { Logger } from "../../lib/process/logger.ts";
import type { Publisher } from "../publish/publisher.ts";
import type { MessageStore } from "../store/message-store.ts";
import type { MessageSink, OutgoingMessage } from "../subscriptions/subscriber.ts";
import type { SubscriptionHub } from "../subscriptions/subscription-hub.ts";
import type { PublishStreams } from "./publish-stream.ts";
import { parseFetch, parsePublish, parseSubscribe } from "./validation.ts";

export interface BrokerServiceDeps {
  readonly publisher: Publisher;
  readonly store: Pick<MessageStore, "get" | "lastId" | "skipped" | "range">;
  readonly hub: SubscriptionHub;
  readonly maxMessageBytes: number;
  readonly replayPageSize: number;
  /** Whether new calls are taken: not while draining for shutdown or while the store is unreachable. */
  readonly admission: () => Admission;
  readonly publishStreams: Pick<PublishStreams, "handle">;
  /** Consumer groups (groups/consume-handler.ts, groups/list-groups.ts). */
  readonly consume: BrokerServer["consume"];
  readonly listGroups: BrokerServer["listGroups"];
  readonly logger: Logger;
}

export type Admission = "open" | "draining" | "store-unavailable";

/** Throws the typed error of a refused call. */
export function admit(state: Admission): void {
  if (state === "draining") throw new ShuttingDownError();
  if (state === "store-unavailable") throw new StoreUnavailableError("store is unreachable");
}

/** The status to answer for a failed call; logs only what is unexpected. */
export function callFailure(logger: Logger, method: string, err: unknown) {
  const result = toGrpcStatus(err);
  if (result.code === status.INTERNAL) logger.error({ err, method }, "unexpected error in handler");
  else logger.debug({ method, code: result.code, details: result.details }, "call failed");
  return result;
}

/**
 * Subscribe streams carry MessageResponses serialized once per message for all
 * subscribers (see grpc-server.ts), so its handler writes Buffers.
 */
export interface BrokerHandlers extends UntypedServiceImplementation {
  publish: BrokerServer["publish"];
  publishBatch: BrokerServer["publishBatch"];
  fetch: BrokerServer["fetch"];
  subscribe: handleServerStreamingCall<SubscribeRequest, Buffer>;
  publishStream: BrokerServer["publishStream"];
  consume: BrokerServer["consume"];
  listGroups: BrokerServer["listGroups"];
}

export function createBrokerService(deps: BrokerServiceDeps): BrokerHandlers {
  const admitCall = () => admit(deps.admission());
  const failure = (method: string, err: unknown) => callFailure(deps.logger, method, err);

  /** Runs a unary handler body and answers with its result or its error's status. */
  const unary =
    <Req, Res>(method: string, handle: (request: Req) => Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      // Started in this turn, not behind an extra promise: a refusal answers at once.
      let answer: Promise<Res>;
      try {
        admitCall();
        answer = handle(call.request);
      } catch (err) {
        callback(failure(method, err));
        return;
      }
      answer.then(
        (response) => callback(null, response),
        (err: unknown) => callback(failure(method, err)),
      );
    };

  return {
    // Expiry arrives resolved: the forwarding service applies retention before routing.
    publish: unary("Publish", (request) =>
      deps.publisher
        .publish([parsePublish(request, deps.maxMessageBytes)])
        .then(([id = 0]) => ({ id })),
    ),

    publishBatch: unary("PublishBatch", async (request) => {
      const inputs = request.messages.map((message) => parsePublish(message, deps.maxMessageBytes));
      return { ids: inputs.length === 0 ? [] : await deps.publisher.publish(inputs) };
    }),

    fetch: unary("Fetch", async (request): Promise<MessageResponse> => {
      const { subject, id } = parseFetch(request);
      const record = await deps.store.get(subject, id, Date.now());
      if (record !== undefined) return { subject, id: record.id, body: asBuffer(record.body) };
      // Below the head an id is expired, unless a failed write skipped it: that one was never stored.
      const unknown =
        id > (await deps.store.lastId(subject)) || (await deps.store.skipped(subject, id));
      throw new MessageNotFoundError(subject, id, unknown ? "unknown" : "expired");
    }),

    subscribe: (call: ServerWritableStream<SubscribeRequest, Buffer>) => {
      let request: ReturnType<typeof parseSubscribe>;
      try {
        admitCall();
        request = parseSubscribe(call.request);
      } catch (err) {
        call.emit("error", failure("Subscribe", err));
        return;
      }
      const { subject, startId } = request;
      if (isPattern(subject)) {
        const problem = patternProblem(subject);
        if (problem !== undefined || startId > 0) {
          const message = problem ?? "a pattern subscription is live only: start_id must be 0";
          call.emit("error", failure("Subscribe", new InvalidArgumentError(message)));
          return;
        }
      }
      const subscriber = deps.hub.subscribe(subject, streamSink(call), startId);
      call.on("cancelled", () => subscriber.close());
      // Headers now tell the client that it is registered: every later publish reaches it.
      call.sendMetadata(new Metadata());
      if (startId === 0) return;
      const readPage = async (fromId: number, limit: number): Promise<OutgoingMessage[]> =>
        (await deps.store.range(subject, fromId, limit, Date.now())).map((record) => ({
          id: record.id,
          frame: encodeMessageResponse(record.subject, record.id, record.body),
        }));
      subscriber.catchUp(readPage, deps.replayPageSize).catch((err: unknown) => {
        failure("Subscribe", err);
        subscriber.close(err instanceof Error ? err : new Error(String(err)));
      });
    },

    publishStream: (call) => deps.publishStreams.handle(call),
    consume: deps.consume,
    listGroups: deps.listGroups,
  };
}

/** Adapts a Subscribe call to the subscriber's sink. */
function streamSink(call: ServerWritableStream<SubscribeRequest, Buffer>): MessageSink {
  return {
    write: (message) => call.write(message.frame),
    onceDrain: (listener) => call.once("drain", listener),
    fail: (err) => call.emit("error", toGrpcStatus(err)),
  };
}

/**
 * The Broker handlers of a cluster member: a call on a subject this member
 * owns runs the local handler; any other is forwarded to the owner over the
 * pooled channel (Publish, PublishBatch, Fetch, and each message of a
 * PublishStream as a Publish) or served from a relay (Subscribe). Forwarded
 * calls carry a mark, and a member never forwards a marked call again: when
 * it does not own the subject either, the epochs disagree, it answers
 * UNAVAILABLE ("not owner"), and the sender retries once it has adopted a
 * newer epoch. A publish is retried only on that answer, which guarantees
 * nothing was stored.
 *
 * Every answer to a client (not to a forwarding member) names this member's epoch
 * (`x-herald-epoch`: unary trailers, stream headers), so a client that routes by
 * owner notices a change of membership.
 *
 * Retention is applied here, once, to a client's Publish and PublishBatch before
 * they are routed (and by PublishStreams to each streamed message), so a
 * forwarded publish carries its resolved expiry and the owner stores it as sent.
 */
import {
  type Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import type {
  BrokerClient,
  FetchRequest,
  ListGroupsRequest,
  ListGroupsResponse,
  MessageResponse,
  PublishBatchRequest,
  PublishBatchResponse,
  PublishRequest,
  PublishResponse,
  SubscribeRequest,
} from "../api/gen/broker.ts";
import {
  ClusterUnavailableError,
  NotOwnerError,
  notOwnerPrefix,
  PeerCallError,
  toGrpcStatus,
} from "../errors.ts";
import { asBuffer } from "../api/wire.ts";
import { isPattern } from "../../contract/subjects.ts";
import { createConsumeRelay } from "../groups/consume-relay.ts";
import { mergeGroupLists } from "../groups/list-groups.ts";
import type { PublishInput } from "../publish/publisher.ts";
import type { BrokerServer } from "../api/gen/broker.ts";
import type { BrokerHandlers } from "../server/broker-service.ts";
import { type Retention, resolveExpiration, subjectProblem } from "../server/validation.ts";
import { createClusterMembersHandler, epochMetadata } from "./cluster-members.ts";
import { type ClusterView, route } from "./cluster-view.ts";
import { forwardedEpoch, peerMetadata } from "./forwarded-metadata.ts";
import type { Member } from "./membership/membership.ts";
import { createPatternRelay } from "./pattern-relay.ts";
import type { PeerPool } from "./peer-pool.ts";
import type { SubscribeRelays } from "./subscribe-relay.ts";
import { peerAddress } from "../../contract/membership.ts";

export interface ForwardingDeps {
  readonly local: BrokerHandlers;
  readonly view: ClusterView;
  readonly peers: PeerPool;
  readonly relays: SubscribeRelays;
  readonly retention: Retention;
  /** Deadline of a forwarded call (shortened to the client's own deadline). */
  readonly forwardTimeoutMs: number;
  /** How long a call waits for a newer epoch before it is retried or refused. */
  readonly epochWaitMs: number;
  readonly onForward?: (method: string, code: number) => void;
}

/** Every Broker handler a cluster member serves: the local ones, routed, and the membership. */
export interface MemberHandlers extends BrokerHandlers {
  clusterMembers: BrokerServer["clusterMembers"];
}

/** What routing a call needs: the cluster, the peers and the timeouts. */
type RoutingDeps = Omit<ForwardingDeps, "local" | "relays" | "retention">;

const maxAttempts = 3;
const consumeRetryDelayMs = 200;

/** A server stream's events, as far as serving it while this member is alone needs them. */
interface ServerStream {
  on(event: "cancelled" | "finish" | "error", listener: () => void): unknown;
  emit(event: "error", status: object): boolean;
}

/** What routing needs of an incoming call (unary or stream). */
type CallContext = Pick<ServerUnaryCall<unknown, unknown>, "metadata" | "getDeadline">;

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;
type PeerCall<Req, Res> = (
  client: BrokerClient,
  request: Req,
  metadata: Metadata,
  options: { deadline: number },
  callback: (err: ServiceError | null, response: Res) => void,
) => void;

const peerPublish: PeerCall<PublishRequest, PublishResponse> = (client, ...args) => {
  client.publish(...args);
};
const peerPublishBatch: PeerCall<PublishBatchRequest, PublishBatchResponse> = (client, ...args) => {
  client.publishBatch(...args);
};
const peerFetch: PeerCall<FetchRequest, MessageResponse> = (client, ...args) => {
  client.fetch(...args);
};
const peerListGroups: PeerCall<ListGroupsRequest, ListGroupsResponse> = (client, ...args) => {
  client.listGroups(...args);
};

const isNotOwner = (code: number | undefined, details: string | undefined) =>
  code === status.UNAVAILABLE && details?.startsWith(notOwnerPrefix) === true;

/**
 * Routes calls by subject: here when this member owns it, else to the owner,
 * retrying after an epoch change where that is safe.
 */
function createDispatcher(deps: RoutingDeps) {
  const { view, peers } = deps;

  const callPeer = <Req, Res>(
    method: string,
    invoke: PeerCall<Req, Res>,
    owner: Member,
    request: Req,
    call: CallContext,
  ) =>
    new Promise<Res>((resolve, reject) => {
      const clientDeadline = Number(call.getDeadline());
      const deadline = Math.min(
        Date.now() + deps.forwardTimeoutMs,
        Number.isFinite(clientDeadline) && clientDeadline > 0 ? clientDeadline : Infinity,
      );
      const client = peers.get(peerAddress(owner)).broker;
      invoke(
        client,
        request,
        peerMetadata(view.epoch, call.metadata),
        { deadline },
        (err, response) => {
          deps.onForward?.(method, err?.code ?? status.OK);
          if (err === null) resolve(response);
          else reject(new PeerCallError(err.code, err.details));
        },
      );
    });

  /** Routes one call on `subject`: `here` when this member owns it, else `invoke` on the owner. */
  const dispatch = async <Req, Res>(
    method: string,
    subject: string,
    call: CallContext,
    request: Req,
    here: () => Promise<Res>,
    invoke: PeerCall<Req, Res>,
  ): Promise<Res> => {
    const senderEpoch = forwardedEpoch(call.metadata);
    const forwarded = senderEpoch !== undefined;
    // The sender adopted a newer epoch than this member: catch up before judging ownership.
    if (forwarded && senderEpoch > view.epoch)
      await view.waitForEpoch(senderEpoch, deps.epochWaitMs);
    for (let attempt = 1; ; attempt++) {
      const epoch = view.epoch;
      const next = route(view, subject, forwarded);
      try {
        switch (next.kind) {
          case "unavailable":
            throw new ClusterUnavailableError(next.reason);
          case "not-owner":
            throw new NotOwnerError(subject, epoch);
          case "local":
            return await here();
          case "forward":
            return await callPeer(method, invoke, next.owner, request, call);
        }
      } catch (err) {
        const retry =
          !forwarded &&
          attempt < maxAttempts &&
          // A local publish refused by the owner gate threw NotOwnerError itself (PublishStream).
          (err instanceof NotOwnerError ||
            (err instanceof PeerCallError && isNotOwner(err.code, err.details)));
        if (!retry) throw err;
        if (view.epoch === epoch) await view.waitForEpoch(epoch + 1, deps.epochWaitMs);
      }
    }
  };

  return { callPeer, dispatch };
}

/**
 * The route of one PublishStream: each message is published here or forwarded
 * to its subject's owner as a unary Publish. Forwards of one subject run one at
 * a time (and later messages of that subject wait behind them), so concurrent
 * forwards cannot reorder a subject's messages; messages published here are
 * ordered by the publisher, which assigns ids in call order.
 */
export function createStreamRouter(
  deps: RoutingDeps & {
    readonly publishHere: (input: PublishInput) => Promise<number>;
  },
): (call: CallContext) => (input: PublishInput) => Promise<number> {
  const { dispatch } = createDispatcher(deps);
  return (call) => {
    const forwarded = forwardedEpoch(call.metadata) !== undefined;
    /** Per subject: the last message that was forwarded or queued behind a forward, settled. */
    const chains = new Map<string, Promise<void>>();
    return (input) => {
      const request: PublishRequest = {
        ...input,
        body: asBuffer(input.body),
        idempotencyKey: input.idempotencyKey ?? "",
      };
      const here = async (): Promise<PublishResponse> => ({ id: await deps.publishHere(input) });
      const send = () =>
        dispatch("Publish", input.subject, call, request, here, peerPublish).then(
          (response) => response.id,
        );
      const previous = chains.get(input.subject);
      if (previous === undefined && route(deps.view, input.subject, forwarded).kind === "local")
        return send();
      const result = previous === undefined ? send() : previous.then(send);
      const settled = result.then(
        () => undefined,
        () => undefined,
      );
      chains.set(input.subject, settled);
      void settled.then(() => {
        if (chains.get(input.subject) === settled) chains.delete(input.subject);
      });
      return result;
    };
  };
}

export function createForwardingService(deps: ForwardingDeps): MemberHandlers {
  const { view, local } = deps;
  const { callPeer, dispatch } = createDispatcher(deps);
  const epoch = epochMetadata(view);
  /** The epoch for a client's answer; a forwarding member has its own view. */
  const epochFor = (call: CallContext) =>
    forwardedEpoch(call.metadata) === undefined ? epoch() : undefined;
  /** Adds the epoch to the headers a client's stream sends (once registered, for a Subscribe). */
  const withEpochHeaders = <Call extends CallContext & { sendMetadata(m: Metadata): void }>(
    call: Call,
  ): Call => {
    const stamp = epochFor(call);
    if (stamp === undefined) return call;
    const sendMetadata = call.sendMetadata.bind(call);
    call.sendMetadata = (metadata: Metadata) => {
      metadata.merge(stamp);
      sendMetadata(metadata);
    };
    return call;
  };

  /** Answers a routed call with its outcome, the epoch stamped on success and failure alike. */
  const answer = <Res>(
    outcome: Promise<Res>,
    callback: sendUnaryData<Res>,
    stamp: Metadata | undefined,
  ) =>
    outcome.then(
      (response) => callback(null, response, stamp),
      (err: unknown) => callback(toGrpcStatus(err), null, stamp),
    );

  /** Runs the local handler as a promise; a failure becomes a PeerCallError with its status. */
  const runLocal = <Req, Res>(handler: Unary<Req, Res>, call: ServerUnaryCall<Req, Res>) =>
    new Promise<Res>((resolve, reject) =>
      handler(call, (err, value) => {
        if (err === null || err === undefined) return resolve(value as Res);
        reject(new PeerCallError(err.code ?? status.UNKNOWN, err.details ?? ""));
      }),
    );

  const unary =
    <Req extends { subject: string }, Res>(
      method: string,
      handler: Unary<Req, Res>,
      invoke: PeerCall<Req, Res>,
    ): Unary<Req, Res> =>
    (call, callback) => {
      const stamp = epochFor(call);
      const routed = () =>
        answer(
          dispatch(
            method,
            call.request.subject,
            call,
            call.request,
            () => runLocal(handler, call),
            invoke,
          ),
          callback,
          stamp,
        );
      const senderEpoch = forwardedEpoch(call.metadata);
      const forwarded = senderEpoch !== undefined;
      // The common case, this member owning the subject in an epoch at least the sender's, runs the
      // handler in this turn; dispatch's promises serve forwards, and a local refusal by the owner
      // gate (the epoch moved during the call), which is retried there once the epoch settles.
      if (
        (senderEpoch === undefined || senderEpoch <= view.epoch) &&
        view.ownerOf(call.request.subject)?.name === view.self
      ) {
        handler(call, (err, value) => {
          if (!forwarded && err && isNotOwner(err.code, err.details)) return void routed();
          callback(err, value, stamp);
        });
        return;
      }
      void routed();
    };

  const publishBatch: Unary<PublishBatchRequest, PublishBatchResponse> = (call, callback) => {
    const subjects = new Set(call.request.messages.map((message) => message.subject));
    const owners = new Set([...subjects].map((subject) => view.ownerOf(subject)?.name));
    if (owners.size <= 1) {
      // One owner (or none, or an empty batch): one call, all or nothing.
      const [subject = ""] = subjects;
      const sent = dispatch(
        "PublishBatch",
        subject,
        call,
        call.request,
        () => runLocal(local.publishBatch, call),
        peerPublishBatch,
      );
      return void answer(sent, callback, epochFor(call));
    }
    // Subjects of several owners: one call per owner (atomic per owner, not across them).
    void answer(
      publishSplit(call).then((ids) => ({ ids })),
      callback,
      epochFor(call),
    );
  };

  /** Sends each owner's share of a batch through the owner (itself included), and reassembles the ids. */
  const publishSplit = async (call: ServerUnaryCall<PublishBatchRequest, PublishBatchResponse>) => {
    const groups = new Map<string, { member: Member; indexes: number[] }>();
    call.request.messages.forEach((message: PublishRequest, index) => {
      const owner = view.ownerOf(message.subject);
      if (owner === undefined) throw new ClusterUnavailableError("the cluster has no members");
      const group = groups.get(owner.name) ?? { member: owner, indexes: [] };
      group.indexes.push(index);
      groups.set(owner.name, group);
    });
    const ids: number[] = new Array<number>(call.request.messages.length).fill(0);
    await Promise.all(
      [...groups.values()].map(async ({ member, indexes }) => {
        const messages = indexes.map((index) => call.request.messages[index] as PublishRequest);
        const response = await callPeer(
          "PublishBatch",
          peerPublishBatch,
          member,
          { messages },
          call,
        );
        indexes.forEach((index, position) => (ids[index] = response.ids[position] ?? 0));
      }),
    );
    return ids;
  };

  /** Resolves the expiry of a client's publish in place, so the local handler and a forward both see it. */
  const withRetention =
    <Req, Res>(handler: Unary<Req, Res>, resolve: (request: Req) => Req): Unary<Req, Res> =>
    (call, callback) => {
      if (forwardedEpoch(call.metadata) === undefined) {
        try {
          call.request = resolve(call.request);
        } catch (err) {
          callback(toGrpcStatus(err));
          return;
        }
      }
      handler(call, callback);
    };
  /** A copy only when the expiry changes: most publishes keep theirs. */
  const resolved = (message: PublishRequest): PublishRequest => {
    const expirationSeconds = resolveExpiration(message.expirationSeconds, deps.retention);
    return expirationSeconds === message.expirationSeconds
      ? message
      : { ...message, expirationSeconds };
  };

  /** A member alone serves patterns and groups itself; in a cluster every member serves its subjects. */
  const alone = () => view.current?.members.length === 1;
  const patternRelay = createPatternRelay({
    view,
    peers: deps.peers,
    retryDelayMs: consumeRetryDelayMs,
  });
  const consumeRelay = createConsumeRelay({
    view,
    peers: deps.peers,
    retryDelayMs: consumeRetryDelayMs,
  });

  /**
   * Serves a stream of a member that is alone here; once the cluster grows the stream ends with
   * UNAVAILABLE, so the client comes back and is served from every member.
   */
  const whileAlone = <Call extends ServerStream>(call: Call, serve: (call: Call) => void) => {
    let open = true;
    const stop = view.onEpoch((current) => {
      if (current.members.length <= 1) return;
      stop();
      if (!open) return;
      open = false;
      const grew = new ClusterUnavailableError(
        "the cluster grew: reconnect to be served by every member",
      );
      call.emit("error", toGrpcStatus(grew));
    });
    const ended = () => {
      open = false;
      stop();
    };
    call.on("cancelled", ended);
    call.on("finish", ended);
    call.on("error", ended);
    serve(call);
  };

  const subscribe = (client: ServerWritableStream<SubscribeRequest, Buffer>) => {
    const call = withEpochHeaders(client);
    const subject = call.request.subject;
    if (isPattern(subject)) {
      if (forwardedEpoch(call.metadata) !== undefined) return local.subscribe(call);
      return alone() ? whileAlone(call, local.subscribe) : patternRelay(call);
    }
    const next = route(view, subject, forwardedEpoch(call.metadata) !== undefined);
    // An invalid subject is refused by the local handler, before a relay would read the store with it.
    if (next.kind === "local" || subjectProblem(subject) !== undefined) {
      return local.subscribe(call);
    }
    if (next.kind !== "forward") {
      const err =
        next.kind === "unavailable"
          ? new ClusterUnavailableError(next.reason)
          : new NotOwnerError(subject, view.epoch);
      call.emit("error", toGrpcStatus(err));
      return;
    }
    // Headers go out only once the relay is registered at the owner: every later publish reaches the client.
    deps.relays.attach(subject).then(
      () => {
        if (call.cancelled) return deps.relays.closeIfIdle(subject);
        local.subscribe(call);
        deps.relays.closeIfIdle(subject);
      },
      (err: unknown) => call.emit("error", toGrpcStatus(err)),
    );
  };

  return {
    publish: withRetention(
      unary<PublishRequest, PublishResponse>("Publish", local.publish, peerPublish),
      resolved,
    ),
    fetch: unary<FetchRequest, MessageResponse>("Fetch", local.fetch, peerFetch),
    publishBatch: withRetention(publishBatch, (request) => ({
      messages: request.messages.map(resolved),
    })),
    subscribe,
    // Headers go out at once: a client learns the epoch before its first answer.
    publishStream: (call) => {
      const stamp = epochFor(call);
      if (stamp !== undefined) call.sendMetadata(stamp.clone());
      local.publishStream(call);
    },
    // A group's state lives with each subject's owner: a client's stream joins every member.
    consume: (call) => {
      if (forwardedEpoch(call.metadata) !== undefined) return local.consume(call);
      return alone() ? whileAlone(call, local.consume) : consumeRelay(call);
    },
    // Each member reports the subjects it owns: a client's call asks every member and merges.
    listGroups: (call, callback) => {
      if (forwardedEpoch(call.metadata) !== undefined || alone())
        return local.listGroups(call, callback);
      const members = view.current?.members ?? [];
      if (members.length === 0) {
        const reason = view.adopted
          ? "the cluster has no members"
          : "no cluster membership adopted yet";
        return callback(toGrpcStatus(new ClusterUnavailableError(reason)));
      }
      Promise.all(
        members.map((member) =>
          member.name === view.self
            ? runLocal(local.listGroups, call)
            : callPeer("ListGroups", peerListGroups, member, call.request, call),
        ),
      ).then(
        (answers) => callback(null, mergeGroupLists(answers)),
        (err: unknown) => callback(toGrpcStatus(err)),
      );
    },
    // Answered by the member called: its own view is what a client routes by.
    clusterMembers: createClusterMembersHandler(view),
  };
}

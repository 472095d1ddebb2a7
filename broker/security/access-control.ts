/**
 * Authentication and authorization of every Broker call (broker/README.md#security). The handlers
 * are wrapped outside forwarding, so the member a client calls refuses what the client may not do
 * before routing it, and the owner of a forwarded call checks it again under its own auth file.
 *
 * A client proves who it is with `authorization: Bearer <token>` (an auth-file token or a JWT) or a
 * client certificate whose SAN the auth file maps to a user. A forwarded call must come over a
 * connection with a cluster member's certificate; it carries the client's bearer token, or the
 * name of the certificate user, so a client cannot claim a principal by marking its call forwarded.
 *
 * A unary call is checked against its principal (each PublishBatch item too). A stream registers
 * how to find its principal, and `authorize` checks a verb on a subject against it: each
 * PublishStream frame, and the subject a Consume stream starts on. A stream's principal is looked up
 * again after a reload, so a PublishStream opened before a permission change follows it and a
 * removed user's frames are refused; an open Subscribe or Consume whose grant is gone is ended.
 * A ListGroups call registers its principal too: it lists only the groups the caller may consume.
 * ClusterMembers needs only an authenticated caller.
 */
import type {
  Metadata,
  ServerDuplexStream,
  sendUnaryData,
  ServerUnaryCall,
  ServerWritableStream,
} from "@grpc/grpc-js";
import type { ClusterServer } from "../api/gen/cluster.ts";
import type {
  ConsumeRequest,
  Delivery,
  ListGroupsRequest,
  ListGroupsResponse,
  SubscribeRequest,
} from "../api/gen/broker.ts";
import { forwardedEpoch, forwardedPrincipalKey } from "../cluster/forwarded-metadata.ts";
import { PermissionDeniedError, toGrpcStatus, UnauthenticatedError } from "../errors.ts";
import { maxTimerMs } from "../../lib/process/env.ts";
import type { MemberHandlers } from "../cluster/forwarding-service.ts";
import type { PublishStreamCall } from "../server/publish-stream.ts";
import { tokenSha256, type Verb } from "../../contract/auth-file.ts";
import { certificateNames } from "./auth-file.ts";
import type { JwtVerifier } from "./jwt.ts";
import { type Credential, type Directory, type Principal, resolvePrincipal } from "./principal.ts";
import type { TlsMaterial } from "./tls-reloader.ts";

/** What authentication needs of a call, unary or stream. */
type CallContext = Pick<ServerUnaryCall<unknown, unknown>, "metadata" | "getAuthContext">;
type ConsumeCall = ServerDuplexStream<ConsumeRequest, Delivery>;
type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

/** How an authenticated stream finds its principal, as of the auth file in force. */
interface StreamAccess {
  principal(): Principal;
  /**
   * What a Subscribe or Consume stream was granted when it started, checked again on every reload;
   * undefined for a PublishStream, whose frames are each checked anyway.
   */
  readonly granted: [Verb, string][] | undefined;
}

/** Authenticated streams, and ListGroups calls, with their principal. */
const streams = new WeakMap<object, StreamAccess>();

/**
 * Throws PermissionDeniedError unless the principal of `call` may `verb` on `subject` (or
 * UnauthenticatedError if its user is gone since). A call of a broker without authentication is
 * never registered and always allowed. Handlers of streams call this per message.
 */
export function authorize(call: object, verb: Verb, subject: string): void {
  const access = streams.get(call);
  if (access === undefined) return;
  check(access.principal(), verb, subject);
  access.granted?.push([verb, subject]);
}

/** Whether the principal of `call` may `verb` on `subject`; a call of a broker without authentication may. */
export function permits(call: object, verb: Verb, subject: string): boolean {
  const access = streams.get(call);
  return access === undefined || access.principal().permissions.allows(verb, subject);
}

function check(principal: Principal, verb: Verb, subject: string): void {
  if (!principal.permissions.allows(verb, subject)) {
    throw new PermissionDeniedError(principal.name, verb, subject);
  }
}

/** The auth file and JWT issuer in force, swapped on reload. */
export interface AccessState {
  readonly directory: () => Directory;
  /** Increases with every reload of the auth file. */
  readonly generation: () => number;
  readonly jwt: JwtVerifier | undefined;
  readonly tls: TlsMaterial | undefined;
}

export interface AccessControl {
  secureBroker(handlers: MemberHandlers): MemberHandlers;
  /** Only other members may call the internal Cluster service (handoff). */
  secureCluster(service: ClusterServer): ClusterServer;
  /**
   * After a reload: ends each open Subscribe and Consume stream whose user lost what it was
   * granted. A stream authenticated by a JWT is also checked, and ended, when the token expires.
   */
  revalidate(): void;
}

/** A stream as the access control handles it: grpc-js server streams are event emitters. */
type StreamCall = CallContext & {
  emit(event: string, ...args: unknown[]): boolean;
  once(event: string, listener: () => void): unknown;
};

/** A compact JWS: three base64url parts. */
const jwtShape = /^[\w-]+\.[\w-]+\.[\w-]+$/;

export function createAccessControl(state: AccessState): AccessControl {
  const isMember = (call: CallContext) => {
    const certificate = call.getAuthContext().sslPeerCertificate;
    return certificate !== undefined && state.tls?.isClusterMember(certificate) === true;
  };

  const bearerToken = (metadata: Metadata): string | undefined => {
    const [header] = metadata.get("authorization");
    if (header === undefined) return undefined;
    const match = /^Bearer +(\S+)$/i.exec(String(header));
    if (match?.[1] === undefined)
      throw new UnauthenticatedError("authorization is not Bearer <token>");
    return match[1];
  };

  const invalidToken = (err: unknown): never => {
    throw new UnauthenticatedError(
      `invalid token: ${err instanceof Error ? err.message : String(err)}`,
    );
  };

  const tokenCredential = (token: string): Credential | Promise<Credential> => {
    if (state.jwt === undefined || !jwtShape.test(token)) {
      return { kind: "token", sha256: tokenSha256(token) };
    }
    const verified = state.jwt.verify(token);
    return verified instanceof Promise ? verified.catch(invalidToken) : verified;
  };

  /** What the call proved; a promise only while a JWT not seen before is verified. */
  const credentialOf = (call: CallContext): Credential | Promise<Credential> => {
    const forwarded = forwardedEpoch(call.metadata) !== undefined;
    const member = isMember(call);
    if (forwarded && !member) {
      throw new UnauthenticatedError("a forwarded call must come from a cluster member");
    }
    const token = bearerToken(call.metadata);
    if (token !== undefined) return tokenCredential(token);
    if (forwarded) {
      const [name] = call.metadata.get(forwardedPrincipalKey);
      return typeof name === "string" ? { kind: "forwarded", name } : { kind: "member" };
    }
    const certificate = call.getAuthContext().sslPeerCertificate;
    if (certificate !== undefined && !member) {
      return { kind: "certificate", names: certificateNames(certificate.subjectaltname) };
    }
    throw new UnauthenticatedError(
      "no credential: send authorization: Bearer <token> or a client certificate",
    );
  };

  /**
   * Runs `admit` with the call's credential, in the same tick unless a JWT must be verified first
   * (the hot path of a known token allocates no promise); `fail` gets what refused it.
   */
  const withCredential = (
    call: CallContext,
    admit: (credential: Credential) => void,
    fail: (err: unknown) => void,
  ) => {
    let credential: Credential | Promise<Credential>;
    try {
      credential = credentialOf(call);
    } catch (err) {
      fail(err);
      return;
    }
    if (credential instanceof Promise) credential.then(admit, fail);
    else admit(credential);
  };

  /** The call's principal, named in its metadata for a forward to the owner. */
  const principalOf = (call: CallContext, credential: Credential): Principal => {
    const principal = resolvePrincipal(credential, state.directory());
    // The owner of a forwarded call re-resolves a certificate user by name; a token travels itself.
    if (credential.kind === "certificate" || credential.kind === "forwarded") {
      call.metadata.set(forwardedPrincipalKey, principal.name);
    } else if (forwardedEpoch(call.metadata) === undefined) {
      call.metadata.remove(forwardedPrincipalKey);
    }
    return principal;
  };

  /** Open Subscribe and Consume streams, checked again on reload. */
  const revocable = new Set<StreamCall>();

  /** Ends a stream: released as on a client's cancel (subscription, group membership), then refused. */
  const cut = (call: StreamCall, err: unknown) => {
    revocable.delete(call);
    call.emit("cancelled");
    call.emit("error", toGrpcStatus(err));
  };

  /** Checks an open stream's grants again; ends it when they are gone. */
  const recheck = (call: StreamCall) => {
    const access = streams.get(call);
    if (access === undefined || !revocable.has(call)) return;
    try {
      const principal = access.principal();
      for (const [verb, subject] of access.granted ?? []) check(principal, verb, subject);
    } catch (err) {
      cut(call, err);
    }
  };

  /** The timer of each open stream authenticated by a JWT. */
  const expiry = new WeakMap<StreamCall, NodeJS.Timeout>();

  /** Checks a stream again when its JWT expires (re-armed when the expiry is beyond a timer's range). */
  const atExpiry = (call: StreamCall, expiresAtMs: number): NodeJS.Timeout => {
    const timer = setTimeout(
      () => {
        if (Date.now() < expiresAtMs) expiry.set(call, atExpiry(call, expiresAtMs));
        else recheck(call);
      },
      Math.min(Math.max(0, expiresAtMs - Date.now()), maxTimerMs),
    );
    timer.unref();
    return timer;
  };

  /** Registers a stream's principal for `authorize`, looked up again after a reload. */
  const register = (
    call: StreamCall,
    credential: Credential,
    first: Principal,
    granted: StreamAccess["granted"],
  ) => {
    let generation = state.generation();
    let principal = first;
    streams.set(call, {
      principal: () => {
        // A JWT is re-resolved every time, since it may expire while the stream is open.
        if (generation !== state.generation() || credential.kind === "jwt") {
          generation = state.generation();
          principal = resolvePrincipal(credential, state.directory());
        }
        return principal;
      },
      granted,
    });
    if (granted === undefined) return;
    revocable.add(call);
    if (credential.kind === "jwt") expiry.set(call, atExpiry(call, credential.expiresAtMs));
    const release = () => {
      revocable.delete(call);
      clearTimeout(expiry.get(call));
    };
    for (const event of ["cancelled", "finish", "error"]) call.once(event, release);
  };

  const unary =
    <Req, Res>(
      handler: Unary<Req, Res>,
      check: (call: ServerUnaryCall<Req, Res>, principal: Principal) => void,
    ): Unary<Req, Res> =>
    (call, callback) => {
      const refuse = (err: unknown) => callback(toGrpcStatus(err));
      withCredential(
        call,
        (credential) => {
          try {
            check(call, principalOf(call, credential));
          } catch (err) {
            refuse(err);
            return;
          }
          handler(call, callback);
        },
        refuse,
      );
    };

  /**
   * Streams end with the status of a refused authentication; their messages are checked one by one
   * (`authorize`). A `revocable` stream's grants are checked again on every reload.
   */
  const stream =
    <Call extends StreamCall>(
      handler: (call: Call) => void,
      revocable: boolean,
      check: (call: Call, principal: Principal) => [Verb, string] | undefined,
    ) =>
    (call: Call) => {
      const refuse = (err: unknown) => call.emit("error", toGrpcStatus(err));
      withCredential(
        call,
        (credential) => {
          try {
            const principal = principalOf(call, credential);
            const granted = check(call, principal);
            register(
              call,
              credential,
              principal,
              revocable ? (granted ? [granted] : []) : undefined,
            );
          } catch (err) {
            refuse(err);
            return;
          }
          handler(call);
        },
        refuse,
      );
    };

  return {
    // Every method is listed, with no spread of the rest: a new RPC must be secured here to be served.
    secureBroker: (handlers) => ({
      publish: unary(handlers.publish, (call, principal) =>
        check(principal, "publish", call.request.subject),
      ),
      publishBatch: unary(handlers.publishBatch, (call, principal) => {
        for (const message of call.request.messages) check(principal, "publish", message.subject);
      }),
      fetch: unary(handlers.fetch, (call, principal) =>
        check(principal, "fetch", call.request.subject),
      ),
      subscribe: stream<ServerWritableStream<SubscribeRequest, Buffer>>(
        handlers.subscribe,
        true,
        (call, principal) => {
          check(principal, "subscribe", call.request.subject);
          return ["subscribe", call.request.subject];
        },
      ),
      // Each frame is authorized where it is routed (`authorize` in the stream's route).
      publishStream: stream<PublishStreamCall>(handlers.publishStream, false, () => undefined),
      // The subject arrives in the first frame: the handler authorizes `consume` on it.
      consume: stream<ConsumeCall>(handlers.consume, true, () => undefined),
      // Any user may ask; the handler lists only the groups whose subject or pattern it may consume.
      listGroups: unary<ListGroupsRequest, ListGroupsResponse>(
        handlers.listGroups,
        (call, principal) => {
          streams.set(call, { principal: () => principal, granted: undefined });
        },
      ),
      // Any user may learn the members, as a client that routes by owner needs them.
      clusterMembers: unary(handlers.clusterMembers, () => undefined),
    }),
    revalidate: () => {
      for (const call of [...revocable]) recheck(call);
    },
    secureCluster: (service) => ({
      handoff: (call, callback) => {
        if (isMember(call)) return service.handoff(call, callback);
        callback(
          toGrpcStatus(
            new UnauthenticatedError("only cluster members may call the Cluster service"),
          ),
        );
      },
    }),
  };
}

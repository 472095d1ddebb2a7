/**
 * Subject ownership across epoch changes (docs/architecture.md#cluster-protocol).
 *
 * Old owner, on adopting an epoch that moves a subject away: stops accepting
 * it (the publisher's owner gate and the released sequencer), flushes its
 * pending batch, and answers Handoff with the last id it assigned. Its local
 * subscribers of the subject continue through a relay from the next id.
 *
 * New owner, before assigning the first id of a subject: asks every other
 * member of the current and previous epoch for their handoff (each answers
 * only after adopting this epoch, so none accepts the subject any more),
 * continues from max(handed-off ids, store lastId), and ends its relay for the
 * subject after delivering what the relay had not. A member that does not
 * answer within the handoff timeout (a pod that is gone) counts as nothing
 * handed off, so the store's lastId decides.
 */
import {
  Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import type { ClusterServer, HandoffRequest, HandoffResponse } from "../api/gen/cluster.ts";
import { NotOwnerError, notOwnerPrefix, toGrpcStatus } from "../errors.ts";
import type { Logger } from "../../lib/process/logger.ts";
import type { SubjectSequencer } from "../sequencer/subject-sequencer.ts";
import type { ClusterView } from "./cluster-view.ts";
import type { Membership } from "./membership/membership.ts";
import type { PeerPool } from "./peer-pool.ts";
import type { SubscribeRelays } from "./subscribe-relay.ts";
import { peerAddress } from "../../contract/membership.ts";

export interface OwnershipDeps {
  readonly view: ClusterView;
  readonly sequencer: () => SubjectSequencer;
  readonly flush: () => Promise<void>;
  readonly storeLastId: (subject: string) => Promise<number>;
  readonly peers: PeerPool;
  readonly relays: SubscribeRelays;
  /** Subjects with local subscribers. */
  readonly subscribedSubjects: () => readonly string[];
  readonly handoffTimeoutMs: number;
  readonly onHandoff?: (result: "answered" | "unreachable") => void;
  readonly logger: Logger;
}

const takeOverRetryMs = 200;

export class Ownership {
  readonly #deps: OwnershipDeps;
  /** Last id assigned here for subjects handed off, until they are loaded here again. */
  readonly #handedOff = new Map<string, number>();

  constructor(deps: OwnershipDeps) {
    this.#deps = deps;
  }

  /** The publisher's gate, run synchronously right before ids are assigned. */
  admit(subject: string): void {
    const { view } = this.#deps;
    if (view.owns(subject)) return;
    this.#release(subject);
    throw new NotOwnerError(subject, view.epoch);
  }

  /** The sequencer's loader: the id to continue after, once every other member has handed the subject off. */
  async loadLastId(subject: string): Promise<number> {
    const { view, relays } = this.#deps;
    const epoch = view.epoch;
    if (!view.owns(subject)) throw new NotOwnerError(subject, epoch);
    const [handedOff, stored] = await Promise.all([
      this.#collectHandoffs(subject, epoch),
      this.#deps.storeLastId(subject),
    ]);
    const floor = Math.max(handedOff, stored);
    // The ownership may have moved while we asked: then this load must not count.
    if (view.epoch !== epoch && !view.owns(subject)) throw new NotOwnerError(subject, view.epoch);
    await relays.takeOver(subject, floor);
    this.#handedOff.delete(subject);
    return floor;
  }

  /** Runs on every adopted epoch, synchronously inside the adoption. */
  onEpoch(current: Membership, previous: Membership | undefined): void {
    const { view, relays, peers } = this.#deps;
    const sequencer = this.#deps.sequencer();
    for (const subject of sequencer.subjects()) {
      if (!view.owns(subject)) relays.resumeAfter(subject, this.#release(subject));
    }
    // Subscribers of a subject that moved away without a publish here: relayed from the store's last id.
    for (const subject of this.#deps.subscribedSubjects()) {
      if (!view.owns(subject)) relays.resumeAfter(subject, undefined);
    }
    void this.#deps.flush().catch(() => undefined);
    for (const subject of relays.onEpoch()) this.#takeOverRelayed(subject);
    peers.retain(new Set([...current.members, ...(previous?.members ?? [])].map(peerAddress)));
  }

  /** Loads a relayed subject this member now owns (ending its relay), retrying while it still owns it. */
  #takeOverRelayed(subject: string): void {
    const { view, logger } = this.#deps;
    this.#deps
      .sequencer()
      .ensureLoaded(subject)
      .catch((err: unknown) => {
        logger.debug({ err, subject }, "taking over a relayed subject failed; retrying");
        setTimeout(() => {
          if (view.owns(subject)) this.#takeOverRelayed(subject);
        }, takeOverRetryMs).unref();
      });
  }

  /** The Cluster service: Handoff answers after this member adopted the epoch and flushed. */
  service(): ClusterServer {
    return {
      handoff: (
        call: ServerUnaryCall<HandoffRequest, HandoffResponse>,
        callback: sendUnaryData<HandoffResponse>,
      ) => {
        this.#answerHandoff(call.request).then(
          (response) => callback(null, response),
          (err: unknown) => callback(toGrpcStatus(err)),
        );
      },
    };
  }

  async #answerHandoff({ subject, epoch }: HandoffRequest): Promise<HandoffResponse> {
    const { view } = this.#deps;
    // Shorter than the asker's deadline, so that "alive but behind" is told apart from "gone".
    if (!(await view.waitForEpoch(epoch, this.#deps.handoffTimeoutMs / 2))) {
      throw new NotOwnerError(subject, view.epoch);
    }
    // We own it in a newer epoch than the asker's: it must not take it over.
    if (view.owns(subject)) throw new NotOwnerError(subject, view.epoch);
    this.#release(subject);
    await this.#deps.flush();
    return { lastId: this.#handedOff.get(subject) ?? 0 };
  }

  #release(subject: string): number | undefined {
    const last = this.#deps.sequencer().release(subject);
    if (last !== undefined)
      this.#handedOff.set(subject, Math.max(last, this.#handedOff.get(subject) ?? 0));
    return last;
  }

  async #collectHandoffs(subject: string, epoch: number): Promise<number> {
    const { view, peers } = this.#deps;
    const others = new Map<string, string>();
    for (const member of [...(view.current?.members ?? []), ...(view.previous?.members ?? [])]) {
      if (member.name !== view.self) others.set(member.name, peerAddress(member));
    }
    const answers = await Promise.all(
      [...others.values()].map(
        (address) =>
          new Promise<number>((resolve, reject) => {
            peers
              .get(address)
              .cluster.handoff(
                { subject, epoch },
                new Metadata(),
                { deadline: Date.now() + this.#deps.handoffTimeoutMs },
                (err: ServiceError | null, response?: HandoffResponse) => {
                  if (err === null) {
                    this.#deps.onHandoff?.("answered");
                    return resolve(response?.lastId ?? 0);
                  }
                  const refused = err.details.startsWith(notOwnerPrefix);
                  if (
                    !refused &&
                    (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED)
                  ) {
                    // Gone or unreachable: after the bounded wait, the store decides.
                    this.#deps.onHandoff?.("unreachable");
                    this.#deps.logger.warn(
                      { subject, peer: address, code: err.code },
                      "handoff peer did not answer; using the store's last id",
                    );
                    return resolve(0);
                  }
                  // Alive but behind, or owning it in a newer epoch: retry later, never guess.
                  reject(new NotOwnerError(subject, epoch));
                },
              );
          }),
      ),
    );
    return Math.max(0, ...answers);
  }
}

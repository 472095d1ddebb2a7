/**
 * Where a routing client sends each subject's calls (broker/README.md#routing-clients): to the
 * subject's owner under the membership it learned from the cluster (ClusterMembers), computed with
 * the members' own rendezvous hashing, over one channel per member. While it has no membership,
 * and for a while instead of a member whose call failed UNAVAILABLE, it uses the seed, which
 * forwards.
 *
 * The membership is asked again when an answer names a newer epoch (`x-herald-epoch`), when a call
 * fails UNAVAILABLE (a member gone, draining, or the cluster between epochs), and every
 * `refreshIntervalMs` for a client whose streams carry no later answer headers. Asks are one at a
 * time and at most one per `minRefreshGapMs` after a failure, so a dead member cannot cause a storm.
 */
import { type Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { z } from "zod";
import { membershipSchema, type Membership } from "../../contract/membership.ts";
import type { BrokerClient, ClusterMembersResponse } from "../api/gen/broker.ts";
import { epochMetadataKey } from "../cluster/cluster-members.ts";
import { rendezvousOwner } from "../cluster/hrw.ts";

export interface OwnerRoutesOptions {
  /** The channel to the address the client was given. */
  readonly seed: BrokerClient;
  /** Opens a channel to a member's address. */
  readonly connect: (address: string) => BrokerClient;
  /** Metadata of a ClusterMembers call (the bearer token). */
  readonly metadata: () => Metadata;
  readonly callTimeoutMs: number;
  readonly refreshIntervalMs: number;
  readonly minRefreshGapMs: number;
}

const epochText = z.string().regex(/^\d+$/).transform(Number);

/** Subjects whose owner is kept per epoch; past it the cache starts afresh. */
const ownersKept = 10_000;

/** How long the seed stands in for a member whose call failed UNAVAILABLE (unless an epoch comes first). */
const failedMemberAvoidMs = 2000;

export class OwnerRoutes {
  readonly #options: OwnerRoutesOptions;
  #membership: Membership | undefined;
  /**
   * Every member address seen, kept until close: streams may still run on a member that left,
   * and a StatefulSet reuses its members' addresses.
   */
  readonly #channels = new Map<string, BrokerClient>();
  /** Each subject's owner's address under the adopted membership. */
  readonly #owners = new Map<string, string>();
  /** Members whose call failed UNAVAILABLE under the current epoch, until when the seed stands in. */
  readonly #failed = new Map<string, number>();
  #refreshing: Promise<void> | undefined;
  /** The adopted epoch as answers spell it. */
  #epochText = "";
  #lastAskMs = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(options: OwnerRoutesOptions) {
    this.#options = options;
    this.#timer = setInterval(() => void this.refresh(), options.refreshIntervalMs);
    this.#timer.unref();
    void this.refresh();
  }

  /** The adopted epoch; -1 before the first. */
  get epoch(): number {
    return this.#membership?.epoch ?? -1;
  }

  /** The channel for a call on `subject`: its owner's, or the seed's. */
  channelFor(subject: string): BrokerClient {
    const owner = this.#ownerAddress(subject);
    if (owner === undefined) return this.#options.seed;
    return this.#channel(owner);
  }

  /** The one channel for calls on every subject of `subjects`: their common owner's, or the seed's. */
  channelForAll(subjects: readonly string[]): BrokerClient {
    const owners = new Set(subjects.map((subject) => this.#ownerAddress(subject)));
    const [owner] = owners;
    if (owners.size !== 1 || owner === undefined) return this.#options.seed;
    return this.#channel(owner);
  }

  /** Reads the epoch an answer names (headers or trailers); a newer one is fetched. */
  observe(metadata: Metadata): void {
    const [value] = metadata.get(epochMetadataKey);
    // Almost every answer names the epoch routed by: only another one is parsed.
    if (value === this.#epochText) return;
    const parsed = epochText.safeParse(value);
    if (parsed.success && parsed.data > this.epoch) void this.refresh(parsed.data);
  }

  /** After a failed call on `channel`: an UNAVAILABLE member is avoided and the membership asked again. */
  async failed(channel: BrokerClient, err: unknown): Promise<void> {
    if ((err as Partial<ServiceError>).code !== status.UNAVAILABLE) return;
    for (const [address, candidate] of this.#channels) {
      if (candidate === channel) this.#failed.set(address, Date.now() + failedMemberAvoidMs);
    }
    if (Date.now() - this.#lastAskMs >= this.#options.minRefreshGapMs) await this.refresh();
  }

  /**
   * Asks the seed, then each known member in turn, until one answers at least epoch `atLeast`
   * (by default any newer one), and adopts the newest answer. One ask runs at a time.
   */
  refresh(atLeast = this.epoch + 1): Promise<void> {
    this.#refreshing ??= this.#ask(atLeast).finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /** Resolves once the ask in progress, if any, has answered. */
  async settled(): Promise<void> {
    await this.#refreshing;
  }

  close(): void {
    clearInterval(this.#timer);
    for (const channel of this.#channels.values()) channel.close();
    this.#channels.clear();
  }

  #ownerAddress(subject: string): string | undefined {
    const owner = this.#owners.get(subject) ?? this.#computeOwner(subject);
    if (owner === undefined) return undefined;
    const avoidUntil = this.#failed.get(owner);
    if (avoidUntil === undefined) return owner;
    if (Date.now() < avoidUntil) return undefined;
    this.#failed.delete(owner);
    return owner;
  }

  /** Hashes `subject` against every member (microseconds each), so the answer is kept for the epoch. */
  #computeOwner(subject: string): string | undefined {
    const members = this.#membership?.members;
    if (members === undefined) return undefined;
    const owner = rendezvousOwner(subject, members)?.address;
    if (owner === undefined) return undefined;
    if (this.#owners.size >= ownersKept) this.#owners.clear();
    this.#owners.set(subject, owner);
    return owner;
  }

  #channel(address: string): BrokerClient {
    let channel = this.#channels.get(address);
    if (channel === undefined) {
      channel = this.#options.connect(address);
      this.#channels.set(address, channel);
    }
    return channel;
  }

  async #ask(atLeast: number): Promise<void> {
    this.#lastAskMs = Date.now();
    const others = (this.#membership?.members ?? []).map((member) => this.#channel(member.address));
    for (const channel of [this.#options.seed, ...others]) {
      const answer = await this.#members(channel).catch(() => undefined);
      if (answer !== undefined) this.#adopt(answer);
      if (this.epoch >= atLeast) return;
    }
  }

  #adopt(answer: Membership): void {
    if (answer.epoch <= this.epoch) return;
    this.#membership = answer;
    this.#owners.clear();
    this.#epochText = String(answer.epoch);
    this.#failed.clear();
  }

  #members(channel: BrokerClient): Promise<Membership | undefined> {
    return new Promise((resolve, reject) =>
      channel.clusterMembers(
        {},
        this.#options.metadata(),
        { deadline: Date.now() + this.#options.callTimeoutMs },
        (err, response: ClusterMembersResponse) => {
          if (err !== null) return reject(err);
          // A membership that does not parse (or has no members) leaves the calls on the seed.
          const parsed = membershipSchema.safeParse(response);
          resolve(parsed.success && parsed.data.members.length > 0 ? parsed.data : undefined);
        },
      ),
    );
  }
}

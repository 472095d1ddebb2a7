import {
  CoordinationV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Lease,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { isConflict, isNotFound } from "./api-error.ts";

/** client-go's defaults. */
export const defaultTiming = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

export type LeaderTiming = typeof defaultTiming;

/** The lease record, as the holder writes it. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: Date;
  renewTime: Date;
  leaseTransitions: number;
}

/** A lease as read: its record and the resourceVersion that any write must match. */
export interface ObservedLease {
  record: Partial<LeaseRecord>;
  resourceVersion: string;
}

export type LeaseDecision =
  | { action: "create"; record: LeaseRecord }
  | { action: "update"; record: LeaseRecord; resourceVersion: string }
  | { action: "wait"; holder: string };

/**
 * client-go's tryAcquireOrRenew as a pure function. Another holder's lease counts as valid
 * until `leaseDuration` after this process last saw the record change (`observedChangeAt`, on
 * the local clock), never by the holder's timestamps, so clock skew between nodes is harmless.
 */
export function decideLease(options: {
  observed: ObservedLease | undefined;
  observedChangeAt: number;
  identity: string;
  now: number;
  leaseDurationMs: number;
}): LeaseDecision {
  const { observed, observedChangeAt, identity, now, leaseDurationMs } = options;
  const leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
  if (!observed) {
    return {
      action: "create",
      record: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: new Date(now),
        renewTime: new Date(now),
        leaseTransitions: 0,
      },
    };
  }
  const { record, resourceVersion } = observed;
  const holder = record.holderIdentity ?? "";
  const heldByMe = holder === identity;
  const validFor = (record.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
  if (holder !== "" && !heldByMe && observedChangeAt + validFor > now)
    return { action: "wait", holder };
  const transitions = record.leaseTransitions ?? 0;
  return {
    action: "update",
    resourceVersion,
    record: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: heldByMe && record.acquireTime ? record.acquireTime : new Date(now),
      renewTime: new Date(now),
      leaseTransitions: heldByMe ? transitions : transitions + 1,
    },
  };
}

/** The Lease API calls the elector makes. */
export interface LeaseClient {
  read(): Promise<ObservedLease | undefined>;
  /** Resolves the new resourceVersion. */
  create(record: LeaseRecord): Promise<string>;
  /** Fails with a conflict when the lease is no longer at `resourceVersion`; resolves the new one. */
  update(record: LeaseRecord, resourceVersion: string): Promise<string>;
}

export interface LeaderElectorOptions {
  identity: string;
  client: LeaseClient;
  log: Logger;
  timing?: LeaderTiming;
  now?: () => number;
}

/**
 * Lease-based leader election on coordination.k8s.io/v1 with client-go's behaviour: retry
 * every retryPeriod to acquire; once leading, renew every retryPeriod and give up leadership
 * when no renewal has succeeded for renewDeadline; release the lease on a graceful stop.
 */
export class LeaderElector {
  readonly #options: LeaderElectorOptions;
  readonly #timing: LeaderTiming;
  readonly #now: () => number;
  #observed: ObservedLease | undefined;
  #observedChangeAt = 0;
  #leading = false;
  #lastRenewAt = 0;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.#timing = options.timing ?? defaultTiming;
    this.#now = options.now ?? Date.now;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Campaigns until elected, then keeps the lease. `onLost` runs once if leadership is lost
   * (the caller should exit, as controller-runtime does). Resolves when elected; rejects if
   * stopped before that.
   */
  async run(onLost: () => void): Promise<void> {
    while (!this.#stopped && !(await this.#tryAcquireOrRenew())) await this.#sleep();
    if (this.#stopped) throw new Error("leader election stopped before this process was elected");
    this.#options.log.info({ identity: this.#options.identity }, "became leader");
    void this.#renewLoop(onLost);
  }

  /** Stops campaigning; if leading, releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    if (!this.#leading || !this.#observed) return;
    this.#leading = false;
    const { record, resourceVersion } = this.#observed;
    const now = new Date(this.#now());
    try {
      await this.#options.client.update(
        {
          holderIdentity: "",
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: record.leaseTransitions ?? 0,
        },
        resourceVersion,
      );
      this.#options.log.info("released the leader lease");
    } catch (err) {
      this.#options.log.warn({ err }, "could not release the leader lease; it expires on its own");
    }
  }

  async #renewLoop(onLost: () => void): Promise<void> {
    while (!this.#stopped) {
      await this.#sleep();
      if (this.#stopped) return;
      const renewed = await this.#tryAcquireOrRenew();
      const heldByOther = this.#observed?.record.holderIdentity !== this.#options.identity;
      if (renewed) continue;
      if (heldByOther || this.#now() - this.#lastRenewAt > this.#timing.renewDeadlineMs) {
        this.#leading = false;
        this.#options.log.error(
          { holder: this.#observed?.record.holderIdentity },
          "lost the leader lease",
        );
        onLost();
        return;
      }
    }
  }

  /** One attempt; true when this process holds the lease afterwards. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, identity, log } = this.#options;
    try {
      const observed = await client.read();
      this.#observe(observed);
      const decision = decideLease({
        observed,
        observedChangeAt: this.#observedChangeAt,
        identity,
        now: this.#now(),
        leaseDurationMs: this.#timing.leaseDurationMs,
      });
      if (decision.action === "wait") return false;
      const resourceVersion =
        decision.action === "create"
          ? await client.create(decision.record)
          : await client.update(decision.record, decision.resourceVersion);
      this.#observe({ record: decision.record, resourceVersion });
      this.#leading = true;
      this.#lastRenewAt = this.#now();
      return true;
    } catch (err) {
      if (!isConflict(err)) log.warn({ err }, "leader lease attempt failed");
      return false;
    }
  }

  #observe(observed: ObservedLease | undefined): void {
    if (observed?.resourceVersion !== this.#observed?.resourceVersion)
      this.#observedChangeAt = this.#now();
    this.#observed = observed;
  }

  /** retryPeriod with client-go's jitter (up to +20%), cut short by stop(). */
  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stopped) return resolve();
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, this.#timing.retryPeriodMs * (1 + 0.2 * Math.random()));
    });
  }
}

/** A LeaseClient on the coordination.k8s.io/v1 Lease `namespace/name`. */
export function leaseClient(kubeConfig: KubeConfig, namespace: string, name: string): LeaseClient {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  const body = (record: LeaseRecord, resourceVersion?: string): V1Lease => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: new V1MicroTime(record.acquireTime.getTime()),
      renewTime: new V1MicroTime(record.renewTime.getTime()),
      leaseTransitions: record.leaseTransitions,
    },
  });
  return {
    async read() {
      try {
        const lease = await api.readNamespacedLease({ namespace, name });
        const spec = lease.spec ?? {};
        return {
          resourceVersion: lease.metadata?.resourceVersion ?? "",
          record: {
            holderIdentity: spec.holderIdentity ?? "",
            ...(spec.leaseDurationSeconds === undefined
              ? {}
              : { leaseDurationSeconds: spec.leaseDurationSeconds }),
            ...(spec.acquireTime ? { acquireTime: new Date(spec.acquireTime) } : {}),
            ...(spec.renewTime ? { renewTime: new Date(spec.renewTime) } : {}),
            ...(spec.leaseTransitions === undefined
              ? {}
              : { leaseTransitions: spec.leaseTransitions }),
          },
        };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async create(record) {
      const lease = await api.createNamespacedLease({ namespace, body: body(record) });
      return lease.metadata?.resourceVersion ?? "";
    },
    async update(record, resourceVersion) {
      const lease = await api.replaceNamespacedLease({
        namespace,
        name,
        body: body(record, resourceVersion),
      });
      return lease.metadata?.resourceVersion ?? "";
    },
  };
}

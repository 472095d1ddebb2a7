import { ApiException } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  LeaderElector,
  decideLease,
  type LeaseClient,
  type LeaseRecord,
  type ObservedLease,
} from "./leader-election.ts";

const log = pino({ level: "silent" });
const leaseDurationMs = 15_000;

describe("decideLease", () => {
  const record = (holderIdentity: string, leaseTransitions = 3): Partial<LeaseRecord> => ({
    holderIdentity,
    leaseDurationSeconds: 15,
    acquireTime: new Date(0),
    renewTime: new Date(0),
    leaseTransitions,
  });
  const decide = (observed: ObservedLease | undefined, observedChangeAt: number, now: number) =>
    decideLease({ observed, observedChangeAt, identity: "me", now, leaseDurationMs });

  test("no lease: create it", () => {
    expect(decide(undefined, 0, 1000)).toMatchObject({
      action: "create",
      record: { holderIdentity: "me", leaseDurationSeconds: 15, leaseTransitions: 0 },
    });
  });

  test("another holder's lease seen changing within the lease duration: wait", () => {
    expect(decide({ record: record("other"), resourceVersion: "5" }, 10_000, 24_999)).toEqual({
      action: "wait",
      holder: "other",
    });
  });

  test("another holder's lease unchanged for the lease duration: take it over, counting a transition", () => {
    expect(decide({ record: record("other"), resourceVersion: "5" }, 10_000, 25_001)).toMatchObject(
      {
        action: "update",
        resourceVersion: "5",
        record: { holderIdentity: "me", leaseTransitions: 4, acquireTime: new Date(25_001) },
      },
    );
  });

  test("a released lease (no holder) is taken at once", () => {
    expect(decide({ record: record(""), resourceVersion: "6" }, 10_000, 10_001)).toMatchObject({
      action: "update",
      record: { holderIdentity: "me", leaseTransitions: 4 },
    });
  });

  test("my own lease: renew, keeping acquireTime and transitions", () => {
    expect(decide({ record: record("me"), resourceVersion: "7" }, 10_000, 12_000)).toMatchObject({
      action: "update",
      record: {
        holderIdentity: "me",
        acquireTime: new Date(0),
        renewTime: new Date(12_000),
        leaseTransitions: 3,
      },
    });
  });

  test("the holder's own timestamps are not trusted: a renewTime far in the past does not expire it", () => {
    const stale = { ...record("other"), renewTime: new Date(-1e9) };
    expect(decide({ record: stale, resourceVersion: "8" }, 10_000, 11_000).action).toBe("wait");
  });
});

/** One Lease in memory with optimistic locking, shared by the electors under test. */
class FakeLease implements LeaseClient {
  lease: ObservedLease | undefined;
  version = 0;
  failing = false;

  read(): Promise<ObservedLease | undefined> {
    if (this.failing) return Promise.reject(new Error("API server unreachable"));
    return Promise.resolve(this.lease && structuredClone(this.lease));
  }
  create(record: LeaseRecord): Promise<string> {
    if (this.failing) return Promise.reject(new Error("API server unreachable"));
    if (this.lease) return Promise.reject(new ApiException(409, "exists", {}, {}));
    return Promise.resolve(this.#write(record));
  }
  update(record: LeaseRecord, resourceVersion: string): Promise<string> {
    if (this.failing) return Promise.reject(new Error("API server unreachable"));
    if (this.lease?.resourceVersion !== resourceVersion) {
      return Promise.reject(new ApiException(409, "conflict", {}, {}));
    }
    return Promise.resolve(this.#write(record));
  }
  #write(record: LeaseRecord): string {
    this.version++;
    this.lease = { record: structuredClone(record), resourceVersion: String(this.version) };
    return this.lease.resourceVersion;
  }
}

describe("LeaderElector", () => {
  let lease: FakeLease;
  beforeEach(() => {
    vi.useFakeTimers();
    lease = new FakeLease();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const elector = (identity: string) => new LeaderElector({ identity, client: lease, log });

  test("only one of two candidates leads; the other takes over after a graceful release", async () => {
    const a = elector("a");
    const b = elector("b");
    await a.run(() => undefined);
    let bElected = false;
    void b.run(() => undefined).then(() => (bElected = true));

    await vi.advanceTimersByTimeAsync(60_000);
    expect(a.isLeader).toBe(true);
    expect(bElected).toBe(false);
    expect(lease.lease?.record.holderIdentity).toBe("a");

    await a.stop();
    expect(lease.lease?.record.holderIdentity).toBe("");
    await vi.advanceTimersByTimeAsync(3000);
    expect(bElected).toBe(true);
    expect(lease.lease?.record).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    await b.stop();
  });

  test("a crashed leader's lease is taken over once it has not changed for the lease duration", async () => {
    const crashed = elector("crashed");
    await crashed.run(() => undefined);
    vi.spyOn(lease, "update").mockRejectedValueOnce(new Error("gone"));
    // Simulate the crash: it never renews again.
    await crashed.stop().catch(() => undefined);
    lease.lease = {
      record: { ...lease.lease?.record, holderIdentity: "crashed" },
      resourceVersion: "99",
    };

    const next = elector("next");
    let elected = false;
    void next.run(() => undefined).then(() => (elected = true));
    await vi.advanceTimersByTimeAsync(14_000);
    expect(elected).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(elected).toBe(true);
    await next.stop();
  });

  test("a leader that cannot renew for the renew deadline gives up", async () => {
    const leader = elector("a");
    await leader.run(() => undefined);
    const lost = vi.fn();
    await leader.stop();
    const again = elector("a");
    await again.run(lost);

    lease.failing = true;
    await vi.advanceTimersByTimeAsync(9_000);
    expect(lost).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(lost).toHaveBeenCalledOnce();
    expect(again.isLeader).toBe(false);
  });

  test("a leader whose lease was taken by another gives up at once", async () => {
    const leader = elector("a");
    const lost = vi.fn();
    await leader.run(lost);
    lease.lease = {
      record: { ...lease.lease?.record, holderIdentity: "usurper" },
      resourceVersion: "50",
    };
    await vi.advanceTimersByTimeAsync(3000);
    expect(lost).toHaveBeenCalledOnce();
  });

  test("stop before election rejects the campaign", async () => {
    const leader = elector("a");
    await leader.run(() => undefined);
    const waiting = elector("b");
    const campaign = waiting.run(() => undefined);
    await waiting.stop();
    await expect(campaign).rejects.toThrow(/stopped before/);
    await leader.stop();
  });
});

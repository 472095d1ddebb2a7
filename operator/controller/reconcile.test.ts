import type { KubernetesObject, V1Secret } from "@kubernetes/client-node";
import { pino } from "pino";
import { beforeEach, describe, expect, test } from "vitest";
import type { MessageBrokerInput } from "../api/v1alpha1/index.ts";
import type { BrokerEvent, EventRecorder } from "../kube/event-recorder.ts";
import { optionalOwnedKinds } from "../kube/owned-kinds.ts";
import { isControlledBy } from "../kube/owner.ts";
import { kindId, resourceKindId } from "../../lib/kube/resource-kind.ts";
import { toWire } from "../../lib/kube/wire-format.ts";
import type { BrokerRef, ClusterWriter } from "../kube/writer.ts";
import { pvcCleanupFinalizer } from "./finalizer.ts";
import { ReconcileError, reconcile, type CacheReader, type ReconcilerDeps } from "./reconcile.ts";

const log = pino({ level: "silent" });
const key = "shop/orders";

/** An in-memory cluster: the cache the reconciler reads and the writer it writes through. */
class FakeCluster implements CacheReader {
  readonly objects = new Map<string, KubernetesObject>();
  readonly writes: string[] = [];
  /** The membership epoch every broker pod reports. */
  reportedEpoch: number | undefined = undefined;
  /** Why a broker pod is not Ready, by name; a pod not listed is Ready. */
  readonly notReady = new Map<string, string>();
  /** The workers each live broker pod runs, by name (a pod not listed does not exist). */
  readonly podWorkers = new Map<string, number>();
  /** How often the reconciler listed the broker pods for their workers. */
  podWorkerReads = 0;
  /** The pods asked for their epoch, per read. */
  readonly epochReads: (readonly string[])[] = [];
  /** What a not-ready broker says about its store, if anything. */
  storeUnavailable: string | undefined = undefined;
  clock = new Date("2026-01-01T00:00:00Z");
  readonly events: BrokerEvent[] = [];
  /** Optional kinds whose CRD is installed, by kind id. */
  readonly installedKinds = new Set<string>();
  failApplyOf: string | undefined;
  claims = ["data-orders-postgres-0"];

  static id(kind: string, namespace: string, name: string): string {
    return `${kind}|${namespace}|${name}`;
  }

  broker(namespace: string, name: string): KubernetesObject | undefined {
    return this.objects.get(FakeCluster.id("herald.dev/v1alpha1 MessageBroker", namespace, name));
  }
  installed(id: string): boolean {
    return this.installedKinds.has(id);
  }
  watches(id: string): boolean {
    const optional = optionalOwnedKinds.some(({ kind }) => resourceKindId(kind) === id);
    return !optional || this.installed(id);
  }
  child(id: string, namespace: string, name: string): KubernetesObject | undefined {
    return this.objects.get(FakeCluster.id(id, namespace, name));
  }
  ownedBy(namespace: string, ownerUid: string): KubernetesObject[] {
    return [...this.objects.values()].filter(
      (object) => object.metadata?.namespace === namespace && isControlledBy(object, ownerUid),
    );
  }

  put(object: KubernetesObject): void {
    const { namespace = "", name = "" } = object.metadata ?? {};
    this.objects.set(FakeCluster.id(kindId(object), namespace, name), object);
  }

  createBroker(spec: MessageBrokerInput["spec"], metadata: Record<string, unknown> = {}): void {
    this.put({
      apiVersion: "herald.dev/v1alpha1",
      kind: "MessageBroker",
      metadata: {
        name: "orders",
        namespace: "shop",
        uid: "uid-1",
        generation: 1,
        resourceVersion: "1",
        ...metadata,
      },
      spec,
    } as KubernetesObject);
  }

  updateBroker(change: (broker: Record<string, unknown>) => void): void {
    const broker = structuredClone(this.broker("shop", "orders")) as unknown as Record<
      string,
      unknown
    >;
    change(broker);
    this.put(broker);
  }

  readonly writer: ClusterWriter = {
    apply: (object) => {
      if (this.failApplyOf === object.kind)
        return Promise.reject(new Error(`${object.kind} refused`));
      this.writes.push(`apply ${kindId(object)}/${object.metadata?.name}`);
      // Like the API server, an apply leaves the status as it was.
      const { namespace = "", name = "" } = object.metadata ?? {};
      const live = this.child(kindId(object), namespace, name) as { status?: unknown } | undefined;
      // Stored as the server keeps it: wire format (NetworkPolicy `from`, not the model's `_from`).
      this.put({ ...toWire(object), ...(live?.status ? { status: live.status } : {}) });
      return Promise.resolve();
    },
    delete: (object) => {
      this.writes.push(`delete ${kindId(object)}/${object.metadata?.name}`);
      const { namespace = "", name = "" } = object.metadata ?? {};
      this.objects.delete(FakeCluster.id(kindId(object), namespace, name));
      return Promise.resolve();
    },
    applyStatus: (_ref: BrokerRef, status: object) => {
      this.writes.push("status");
      this.updateBroker((broker) => (broker.status = structuredClone(status)));
      return Promise.resolve();
    },
    setFinalizers: (_ref: BrokerRef, _resourceVersion: string, finalizers: string[]) => {
      this.writes.push(`finalizers ${finalizers.join(",")}`);
      this.updateBroker(
        (broker) => ((broker.metadata as { finalizers?: string[] }).finalizers = finalizers),
      );
      return Promise.resolve();
    },
    deleteClaims: (_namespace: string, selector: string) => {
      this.writes.push(`delete claims ${selector}`);
      return Promise.resolve(this.claims);
    },
    readSecret: () => Promise.resolve<V1Secret | undefined>(undefined),
    readConfigMap: (namespace: string, name: string) =>
      Promise.resolve(this.child("v1 ConfigMap", namespace, name)),
    annotatePods: (_namespace: string, pods: readonly string[], annotations: object) => {
      this.writes.push(`annotate pods ${pods.join(",")} ${JSON.stringify(annotations)}`);
      return Promise.resolve();
    },
  };

  readonly recorder: EventRecorder = {
    record: (_regarding, event) => {
      this.events.push(event);
      return Promise.resolve();
    },
  };

  deps(): ReconcilerDeps {
    return {
      cache: this,
      writer: this.writer,
      events: this.recorder,
      epochs: (_namespace, names) => {
        this.epochReads.push(names);
        return Promise.resolve(names.map(() => this.reportedEpoch));
      },
      podWorkers: () => {
        this.podWorkerReads += 1;
        return Promise.resolve(this.podWorkers);
      },
      storeHealth: () => Promise.resolve(this.storeUnavailable),
      podReadiness: (_namespace, names) =>
        Promise.resolve(names.map((name) => this.notReady.get(name))),
      scalingStallAfterMs: 300_000,
      // A broker without MessageBrokerUsers (operator/users has their own tests).
      users: {
        renderInputs: () => Promise.resolve({ authFile: { users: [] } }),
        brokerMissing: () => Promise.resolve(),
      },
      settings: {
        images: {
          broker: "herald-broker:test",
          envoy: "envoy:test",
          postgres: "postgres",
          cassandra: "cassandra",
        },
        clusterDomain: "cluster.local",
      },
      log,
      now: () => this.clock,
    };
  }

  /** Reconciles and returns the writes it made. */
  async reconcile(): Promise<string[]> {
    const before = this.writes.length;
    await reconcile(key, this.deps());
    return this.writes.slice(before);
  }

  advance(seconds: number): void {
    this.clock = new Date(this.clock.getTime() + seconds * 1000);
  }

  /** Marks the broker StatefulSet as fully rolled out with every pod ready. */
  rollOut(): void {
    const set = this.child("apps/v1 StatefulSet", "shop", "orders") as KubernetesObject & {
      spec: { replicas: number };
      status?: unknown;
    };
    set.metadata = { ...set.metadata, generation: 1 };
    const replicas = set.spec.replicas;
    set.status = {
      observedGeneration: 1,
      replicas,
      readyReplicas: replicas,
      updatedReplicas: replicas,
      currentRevision: "r1",
      updateRevision: "r1",
    };
  }

  status(): {
    phase?: string;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  } {
    return (
      (this.broker("shop", "orders") as { status?: ReturnType<FakeCluster["status"]> }).status ?? {}
    );
  }
}

let cluster: FakeCluster;
beforeEach(() => {
  cluster = new FakeCluster();
});

/** A running one-replica broker on external PostgreSQL whose spec just asked for 3. */
async function runningOneReplicaScaledToThree(): Promise<void> {
  cluster.createBroker({
    replicas: 1,
    storage: {
      type: "postgres",
      postgres: { external: { host: "db", credentialsSecret: { name: "db" } } },
    },
  });
  await cluster.reconcile();
  cluster.rollOut();
  await cluster.reconcile();
  cluster.updateBroker((broker) => ((broker.spec as { replicas: number }).replicas = 3));
}

/** The member names of the published membership. */
function publishedMembers(): string[] {
  const map = cluster.child("v1 ConfigMap", "shop", "orders-membership") as KubernetesObject & {
    data: Record<string, string>;
  };
  const membership = JSON.parse(map.data["membership.json"] ?? "{}") as {
    members: { name: string }[];
  };
  return membership.members.map((member) => member.name);
}

describe("reconcile", () => {
  test("creates every child with an owner reference, then reports status", async () => {
    cluster.createBroker({ replicas: 1 });
    const writes = await cluster.reconcile();
    expect(writes).toContain("apply apps/v1 StatefulSet/orders");
    expect(writes).toContain("apply v1 ConfigMap/orders-membership");
    expect(writes.at(-1)).toBe("status");
    const children = cluster.ownedBy("shop", "uid-1");
    expect(children.length).toBe(writes.length - 1);
    expect(cluster.status().phase).toBe("Provisioning");
    expect(cluster.events.map((event) => event.reason)).toEqual(["Created"]);
  });

  test("a steady state makes no write at all", async () => {
    cluster.createBroker({ replicas: 1 });
    await cluster.reconcile();
    cluster.rollOut();
    expect(await cluster.reconcile()).toEqual(["status"]); // became Ready
    expect(cluster.status().phase).toBe("Running");
    expect(await cluster.reconcile()).toEqual([]);
    expect(await cluster.reconcile()).toEqual([]);
  });

  test("a child deleted or edited by hand is restored", async () => {
    cluster.createBroker({ replicas: 1 });
    await cluster.reconcile();
    cluster.objects.delete(FakeCluster.id("v1 Service", "shop", "orders"));
    const edited = cluster.child("v1 ConfigMap", "shop", "orders-config") as KubernetesObject & {
      data: Record<string, string>;
    };
    edited.data = { ...edited.data, HERALD_LOG_LEVEL: "debug" };
    const writes = await cluster.reconcile();
    expect(writes).toEqual(
      expect.arrayContaining(["apply v1 Service/orders", "apply v1 ConfigMap/orders-config"]),
    );
  });

  test("a changed auth file is announced on the broker pods, so their kubelet refreshes it now", async () => {
    cluster.createBroker({ replicas: 3 });
    await cluster.reconcile();
    const edit = (name: string) => {
      const child =
        cluster.child("v1 Secret", "shop", name) ?? cluster.child("v1 ConfigMap", "shop", name);
      (child as KubernetesObject & { data: Record<string, string> }).data = { stale: "" };
    };
    edit("orders-config");
    expect((await cluster.reconcile()).filter((w) => w.startsWith("annotate"))).toEqual([]);
    edit("orders-auth");
    const annotations = (await cluster.reconcile()).filter((w) => w.startsWith("annotate"));
    const auth = cluster.child("v1 Secret", "shop", "orders-auth");
    const hash = auth?.metadata?.annotations?.["herald.dev/applied-hash"] ?? "";
    expect(hash).not.toBe("");
    expect(annotations).toEqual([
      `annotate pods orders-0,orders-1,orders-2 {"herald.dev/mounted-revision":"${hash}"}`,
    ]);
  });

  test("a child no longer rendered is deleted: the Envoy ConfigMap when rate limiting goes off", async () => {
    cluster.createBroker({ replicas: 1, rateLimit: { enabled: true } });
    await cluster.reconcile();
    expect(cluster.child("v1 ConfigMap", "shop", "orders-envoy")).toBeDefined();

    cluster.updateBroker(
      (broker) => (broker.spec = { replicas: 1, rateLimit: { enabled: false } }),
    );
    const writes = await cluster.reconcile();
    expect(writes).toContain("delete v1 ConfigMap/orders-envoy");
    expect(cluster.child("v1 ConfigMap", "shop", "orders-envoy")).toBeUndefined();
  });

  test("objects owned by another broker or by nobody are never deleted", async () => {
    cluster.createBroker({ replicas: 1 });
    const foreign = (uid?: string): KubernetesObject => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: `cm-${uid ?? "none"}`,
        namespace: "shop",
        ...(uid
          ? {
              ownerReferences: [
                {
                  apiVersion: "herald.dev/v1alpha1",
                  kind: "MessageBroker",
                  name: "x",
                  uid,
                  controller: true,
                },
              ],
            }
          : {}),
      },
    });
    cluster.put(foreign("uid-2"));
    cluster.put(foreign());
    const writes = await cluster.reconcile();
    expect(writes.filter((write) => write.startsWith("delete"))).toEqual([]);
  });

  test("a broker of one worker per pod never lists its pods", async () => {
    cluster.createBroker({ replicas: 1 });
    await cluster.reconcile();
    cluster.rollOut();
    await cluster.reconcile();
    expect(cluster.podWorkerReads).toBe(0);
    expect(publishedMembers()).toEqual(["orders-0"]);
  });

  test("the membership follows each live pod's workers while a changed count rolls out", async () => {
    const storage = {
      type: "postgres",
      postgres: { external: { host: "db", credentialsSecret: { name: "db" } } },
    } as const;
    cluster.createBroker({ replicas: 2, storage });
    await cluster.reconcile();
    cluster.rollOut();
    await cluster.reconcile();
    cluster.podWorkers.set("orders-0", 1).set("orders-1", 1);

    cluster.updateBroker((broker) => (broker.spec = { replicas: 2, storage, workers: 2 }));
    await cluster.reconcile();
    expect(publishedMembers()).toEqual(["orders-0", "orders-1"]); // no pod replaced yet
    cluster.podWorkers.delete("orders-1"); // replaced: the new pod will run the new count
    await cluster.reconcile();
    expect(publishedMembers()).toEqual(["orders-0", "orders-1~0", "orders-1~1"]);
    cluster.podWorkers.set("orders-1", 2).set("orders-0", 2);
    await cluster.reconcile();
    expect(publishedMembers()).toEqual(["orders-0~0", "orders-0~1", "orders-1~0", "orders-1~1"]);

    // Back to one worker: the pods still running two are read until the membership lists none.
    cluster.updateBroker((broker) => (broker.spec = { replicas: 2, storage, workers: 1 }));
    cluster.podWorkers.set("orders-0", 1);
    await cluster.reconcile();
    expect(publishedMembers()).toEqual(["orders-0", "orders-1~0", "orders-1~1"]);
    cluster.podWorkers.set("orders-1", 1);
    await cluster.reconcile();
    expect(publishedMembers()).toEqual(["orders-0", "orders-1"]);
    const reads = cluster.podWorkerReads;
    await cluster.reconcile();
    expect(cluster.podWorkerReads).toBe(reads);
  });

  test("scaling counts pods, not the members their workers make", async () => {
    await runningOneReplicaScaledToThree();
    cluster.updateBroker((broker) => ((broker.spec as { workers: number }).workers = 2));
    await cluster.reconcile();
    cluster.rollOut(); // the new pods are ready
    await cluster.reconcile();
    expect(publishedMembers()).toHaveLength(6);
    expect(cluster.status().conditions).toContainEqual(
      expect.objectContaining({ type: "Scaling", status: "True", reason: "AwaitingEpoch" }),
    );
    cluster.reportedEpoch = 3;
    await cluster.reconcile();
    expect(cluster.epochReads.at(-1)).toEqual(["orders-0", "orders-1", "orders-2"]);
    expect(cluster.status().conditions).toContainEqual(
      expect.objectContaining({ type: "Scaling", status: "False", reason: "Idle" }),
    );
  });

  test("scaling up raises the StatefulSet, then publishes the ready pods, then settles", async () => {
    await runningOneReplicaScaledToThree();
    const writes = await cluster.reconcile();
    expect(writes).toContain("apply apps/v1 StatefulSet/orders");
    expect(writes).not.toContain("apply v1 ConfigMap/orders-membership");
    const set = cluster.child("apps/v1 StatefulSet", "shop", "orders") as {
      spec?: { replicas?: number };
    };
    expect(set.spec?.replicas).toBe(3);
    expect(cluster.events.at(-1)?.reason).toBe("Scaled");
    expect(cluster.events.at(-1)?.note).toContain("from 1 to 3");
    expect(cluster.status().phase).toBe("Scaling");
    expect(cluster.status().conditions).toContainEqual(
      expect.objectContaining({ type: "Scaling", status: "True", reason: "AddingPods" }),
    );

    cluster.rollOut(); // the new pods are ready
    expect(await cluster.reconcile()).toContain("apply v1 ConfigMap/orders-membership");
    expect(cluster.status().conditions).toContainEqual(
      expect.objectContaining({ type: "Scaling", status: "True", reason: "AwaitingEpoch" }),
    );
    cluster.reportedEpoch = 2;
    await cluster.reconcile();
    expect(cluster.status().conditions).toContainEqual(
      expect.objectContaining({ type: "Scaling", status: "False", reason: "Idle" }),
    );
    expect(await cluster.reconcile()).toEqual([]);
  });

  describe("a scale step that waits past the stall threshold", () => {
    const degraded = () => cluster.status().conditions?.find((c) => c.type === "Degraded");

    /** Scale 1 → 3 whose new pod orders-2 never gets Ready, 5 minutes on. */
    async function stalledScaleUp(): Promise<void> {
      await runningOneReplicaScaledToThree();
      cluster.notReady.set("orders-2", "CrashLoopBackOff");
      // Nothing watched changes while the pod crash-loops: the reconcile asks to look again then.
      expect(await reconcile(key, cluster.deps())).toEqual({ requeueAfterMs: 300_000 });
      cluster.advance(299);
      await cluster.reconcile();
      expect(degraded()).toMatchObject({ status: "False" });
      cluster.advance(1);
      expect(await reconcile(key, cluster.deps())).toEqual({ requeueAfterMs: 10_000 });
    }

    test("is Degraded naming the pod, warned about once, and clears when the step completes", async () => {
      await stalledScaleUp();
      expect(cluster.status().phase).toBe("Degraded");
      expect(degraded()).toMatchObject({
        status: "True",
        reason: "ScalingStalled",
        message:
          "Scale 1→3 has waited over 5m (since 2026-01-01T00:00:00Z) for orders-2 (CrashLoopBackOff) to become Ready.",
      });
      cluster.advance(10);
      expect(await cluster.reconcile()).toEqual([]);
      const warnings = cluster.events.filter((event) => event.reason === "ScalingStalled");
      expect(warnings).toEqual([
        { type: "Warning", reason: "ScalingStalled", note: degraded()?.message },
      ]);

      cluster.notReady.clear();
      cluster.rollOut();
      await cluster.reconcile(); // publishes the pods: the next step starts now
      expect(degraded()).toMatchObject({ status: "False" });
      expect(cluster.status().phase).not.toBe("Degraded");
    });

    test("clears when replicas is reverted", async () => {
      await stalledScaleUp();
      cluster.updateBroker((broker) => ((broker.spec as { replicas: number }).replicas = 1));
      cluster.reportedEpoch = 1; // orders-0, the one member, has the epoch
      await cluster.reconcile();
      expect(cluster.status().conditions).toContainEqual(
        expect.objectContaining({ type: "Scaling", status: "True", reason: "RemovingPods" }),
      );
      expect(degraded()).toMatchObject({ status: "False" });
    });
  });

  test("a membership cache behind the published epoch is read from the API server", async () => {
    await runningOneReplicaScaledToThree();
    await cluster.reconcile();
    const id = FakeCluster.id("v1 ConfigMap", "shop", "orders-membership");
    const before = structuredClone(cluster.objects.get(id));
    cluster.rollOut();
    await cluster.reconcile(); // publishes epoch 2
    const live = cluster.objects.get(id);

    // The ConfigMap's watch event has not arrived; the status (epoch 2) has.
    cluster.objects.set(id, before as KubernetesObject);
    const writer = { ...cluster.writer, readConfigMap: () => Promise.resolve(live) };
    await reconcile(key, { ...cluster.deps(), writer });
    // The same epoch 2 again (the apply of a stale-cached child is a no-op), not an epoch 3.
    expect(cluster.objects.get(id)).toEqual(live);
    expect(
      (cluster.broker("shop", "orders") as { status?: { membershipEpoch?: number } }).status,
    ).toMatchObject({ membershipEpoch: 2 });
  });

  test("a failed apply is Degraded, retried with an error, and recovery is recorded", async () => {
    cluster.createBroker({ replicas: 1 });
    cluster.failApplyOf = "StatefulSet";
    await expect(reconcile(key, cluster.deps())).rejects.toBeInstanceOf(ReconcileError);
    expect(cluster.status().conditions).toContainEqual(
      expect.objectContaining({ type: "Degraded", status: "True", reason: "ReconcileFailed" }),
    );
    // Every other child was still applied.
    expect(cluster.child("v1 Service", "shop", "orders")).toBeDefined();

    await expect(reconcile(key, cluster.deps())).rejects.toBeInstanceOf(ReconcileError);
    expect(cluster.events.filter((event) => event.reason === "ReconcileFailed")).toHaveLength(1);

    cluster.failApplyOf = undefined;
    await cluster.reconcile();
    expect(cluster.events.map((event) => event.reason)).toEqual([
      "ReconcileFailed",
      "Created",
      "Recovered",
    ]);
  });

  test("a paused broker gets no write except the status saying so", async () => {
    cluster.createBroker({ replicas: 1 });
    await cluster.reconcile();
    cluster.updateBroker((broker) => {
      (broker.metadata as { annotations?: Record<string, string> }).annotations = {
        "herald.dev/paused": "true",
      };
      (broker.spec as { replicas: number }).replicas = 0;
    });
    cluster.objects.delete(FakeCluster.id("v1 Service", "shop", "orders"));
    expect(await cluster.reconcile()).toEqual(["status"]);
    expect(cluster.status().phase).toBe("Paused");
    expect(await cluster.reconcile()).toEqual([]);
  });

  test("the ServiceMonitor is skipped, and said so, while its CRD is missing; created once it exists", async () => {
    cluster.createBroker({ replicas: 1, monitoring: { serviceMonitor: { enabled: true } } });
    const before = await cluster.reconcile();
    expect(before.some((write) => write.includes("ServiceMonitor"))).toBe(false);
    expect(cluster.status().conditions).toContainEqual(
      expect.objectContaining({
        type: "Degraded",
        status: "True",
        reason: "ServiceMonitorSkipped",
      }),
    );

    cluster.installedKinds.add("monitoring.coreos.com/v1 ServiceMonitor");
    const after = await cluster.reconcile();
    expect(after).toContain("apply monitoring.coreos.com/v1 ServiceMonitor/orders");
    expect(cluster.status().conditions).toContainEqual(
      expect.objectContaining({ type: "Degraded", status: "False" }),
    );
  });

  test("the managed PostgreSQL password survives a cache miss of its Secret", async () => {
    cluster.createBroker({ replicas: 1, storage: { type: "postgres", postgres: { managed: {} } } });
    await cluster.reconcile();
    const secretId = FakeCluster.id("v1 Secret", "shop", "orders-postgres-credentials");
    const stored = cluster.objects.get(secretId) as V1Secret;
    const password = stored.data?.password;
    expect(password).toBeTruthy();

    // The cache has not seen the Secret yet; the API server has.
    cluster.objects.delete(secretId);
    const writer = { ...cluster.writer, readSecret: () => Promise.resolve(stored) };
    await reconcile(key, { ...cluster.deps(), writer });
    expect((cluster.objects.get(secretId) as V1Secret).data?.password).toBe(password);
  });
});

describe("finalizer", () => {
  const managed = {
    replicas: 1,
    storage: { type: "postgres" as const, postgres: { managed: {} } },
  };

  test("is added only for deletionPolicy Delete with a managed store, and removed when no longer needed", async () => {
    cluster.createBroker({ ...managed, deletionPolicy: "Retain" });
    expect((await cluster.reconcile()).some((write) => write.startsWith("finalizers"))).toBe(false);

    cluster.updateBroker(
      (broker) => ((broker.spec as { deletionPolicy: string }).deletionPolicy = "Delete"),
    );
    expect(await cluster.reconcile()).toContain(`finalizers ${pvcCleanupFinalizer}`);

    cluster.updateBroker(
      (broker) => ((broker.spec as { deletionPolicy: string }).deletionPolicy = "Retain"),
    );
    expect(await cluster.reconcile()).toContain("finalizers ");
  });

  test("another controller's finalizer is kept", async () => {
    cluster.createBroker(
      { ...managed, deletionPolicy: "Delete" },
      { finalizers: ["example.com/other"] },
    );
    expect(await cluster.reconcile()).toContain(
      `finalizers example.com/other,${pvcCleanupFinalizer}`,
    );
  });

  test("deletion removes the managed store's claims, then the finalizer, and applies nothing", async () => {
    cluster.createBroker({ ...managed, deletionPolicy: "Delete" });
    await cluster.reconcile();
    cluster.updateBroker((broker) => {
      (broker.metadata as { deletionTimestamp?: string }).deletionTimestamp =
        "2026-01-01T00:00:00Z";
    });
    expect(await cluster.reconcile()).toEqual([
      "delete claims app.kubernetes.io/name=postgresql,app.kubernetes.io/instance=orders",
      "finalizers ",
    ]);
    expect(await cluster.reconcile()).toEqual([]);
  });
});

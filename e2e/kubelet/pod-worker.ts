/**
 * The kubelet's pod workers. The informer only enqueues pod keys; `sync(key)` then makes one
 * pod's processes and status match its spec, never two syncs of one pod at once (the operator's
 * work queue). Level-triggered: each sync reads the cached pod and binds it, starts it, reports
 * its status, or stops and removes it. Changes to the ConfigMaps and Secrets that pods' volumes
 * read enqueue those pods too.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  defaultControllerRateLimiter,
  defaultRateLimiterOptions,
} from "../../lib/kube/rate-limiter.ts";
import { WorkQueue } from "../../lib/kube/work-queue.ts";
import { describeApiError, isConflict, isNotFound } from "../../lib/kube/api-error.ts";
import { isHeraldBrokerPod, shouldBind } from "./binding.ts";
import type { PodApi } from "./kube-api.ts";
import type { RegisteredNode } from "./node-registration.ts";
import { PodRuntime, type PodProcessInfo, type RuntimeDeps } from "./pod-runtime.ts";
import { podKey, podSchema, type Pod } from "./pod-schema.ts";
import { desiredPodStatus, statusUpToDate } from "./pod-status.ts";
import { podsAffectedBy, type ObjectRef } from "./volume-sources.ts";

const workerCount = 4;

export interface PodWorkerOptions {
  api: PodApi;
  node: RegisteredNode;
  nodeName: string;
  log: Logger;
  runtime: Omit<RuntimeDeps, "api" | "onChange">;
}

export class PodWorker {
  readonly #options: PodWorkerOptions;
  // Retries back off to 30 s at most: a kubelet keeps trying while the API server is away.
  readonly #queue = new WorkQueue({
    rateLimiter: defaultControllerRateLimiter({
      ...defaultRateLimiterOptions,
      maxDelayMs: 30_000,
    }),
  });
  readonly #runtimes = new Map<string, PodRuntime>();
  readonly #workers: Promise<void>[] = [];
  /** The uid each pod had when this kubelet removed it, until the cache drops it: one delete each. */
  readonly #removed = new Map<string, string>();
  /** Pods this kubelet has given up on (their spec could not be parsed), logged once. */
  readonly #unparsable = new Set<string>();
  #cache: { get(name: string, namespace?: string): V1Pod | undefined } | undefined;
  /** /etc/hosts rewrites, one at a time, each from the pods running when it starts. */
  #hostsWritten: Promise<void> = Promise.resolve();

  constructor(options: PodWorkerOptions) {
    this.#options = options;
  }

  enqueue(key: string): void {
    this.#queue.add(key);
  }

  /**
   * A ConfigMap or Secret was created, updated or deleted: the running pods whose volumes read
   * it are marked and enqueued, and their next sync rewrites what changed.
   */
  objectChanged(changed: ObjectRef): void {
    const pods = [...this.#runtimes.values()].map((runtime) => runtime.pod);
    for (const pod of podsAffectedBy(changed, pods)) {
      const key = podKey(pod);
      this.#runtimes.get(key)?.markVolumesStale();
      this.enqueue(key);
    }
  }

  attach(cache: { get(name: string, namespace?: string): V1Pod | undefined }): void {
    this.#cache = cache;
    for (let i = 0; i < workerCount; i++) this.#workers.push(this.#work());
  }

  pods(): PodProcessInfo[] {
    return [...this.#runtimes.values()].map((runtime) => runtime.info());
  }

  /** Finishes the syncs under way, then stops every process and reports the pods not ready. */
  async stop(graceCapMs: number): Promise<void> {
    await this.#queue.shutDownWithDrain();
    await Promise.all(this.#workers);
    await Promise.all(
      [...this.#runtimes].map(async ([key, runtime]) => {
        await runtime.stop(Math.min(runtime.graceMs, graceCapMs));
        await this.#reportStatus(key, runtime, { final: true }).catch((err: unknown) =>
          this.#options.log.warn(
            { pod: key, error: describeApiError(err) },
            "final status not reported",
          ),
        );
        await runtime.release();
        this.#runtimes.delete(key);
      }),
    );
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      try {
        const requeueAfterMs = await this.#sync(key);
        this.#queue.forget(key);
        if (requeueAfterMs !== undefined) this.#queue.addAfter(key, requeueAfterMs);
      } catch (err) {
        const level = isConflict(err) ? "debug" : "warn";
        this.#options.log[level](
          { pod: key, error: describeApiError(err) },
          "pod sync failed; retrying",
        );
        this.#queue.addRateLimited(key);
      } finally {
        this.#queue.done(key);
      }
    }
  }

  /** One pod, level-triggered; returns when it wants to be synced again (token renewal). */
  async #sync(key: string): Promise<number | undefined> {
    const [namespace = "", name = ""] = key.split("/");
    const { api, node, nodeName, log } = this.#options;
    const cached = this.#cache?.get(name, namespace);
    let runtime = this.#runtimes.get(key);
    const pod = cached && this.#parse(key, cached);

    // The pod is gone, or a new pod took its name: its processes go too.
    if (runtime && (!pod || pod.metadata.uid !== runtime.uid)) {
      await runtime.stop(runtime.graceMs);
      await runtime.release();
      this.#runtimes.delete(key);
      runtime = undefined;
      await this.#updateHosts();
    }
    if (!pod) {
      if (!cached) this.#removed.delete(key);
      return undefined;
    }

    if (!pod.spec.nodeName) {
      if (!shouldBind(pod, node.labels)) return undefined;
      await api.bind(pod.metadata, nodeName);
      log.info({ pod: key }, "pod bound");
      return undefined;
    }
    if (pod.spec.nodeName !== nodeName || !isHeraldBrokerPod(pod)) return undefined;

    if (pod.metadata.deletionTimestamp) {
      if (runtime && !runtime.stopped) {
        // Stopping takes up to the grace period: the worker moves on and comes back on exit.
        runtime
          .stop(runtime.graceMs)
          .catch((err: unknown) => log.error({ pod: key, err }, "stop failed"));
        await this.#reportStatus(key, runtime, { known: pod });
        return undefined;
      }
      if (runtime) {
        await runtime.release();
        this.#runtimes.delete(key);
        await this.#updateHosts();
      }
      if (this.#removed.get(key) === pod.metadata.uid) return undefined;
      await api.deleteNow(pod.metadata);
      this.#removed.set(key, pod.metadata.uid);
      log.info({ pod: key }, "pod stopped and removed");
      return undefined;
    }

    if (!runtime) {
      runtime = await PodRuntime.start(pod, {
        ...this.#options.runtime,
        api,
        onChange: () => this.enqueue(key),
      });
      this.#runtimes.set(key, runtime);
      log.info({ pod: key, podIP: runtime.podIP }, "pod started");
      await this.#updateHosts();
    }
    runtime.update(pod);
    const now = Date.now();
    const renewAt = await runtime.renewVolumes(now);
    await this.#reportStatus(key, runtime, { known: pod });
    return renewAt === undefined ? undefined : Math.max(renewAt - now, 1000);
  }

  /** Every pod's /etc/hosts lists the node's pods; called whenever that set changes. */
  #updateHosts(): Promise<void> {
    this.#hostsWritten = this.#hostsWritten
      .catch(() => undefined)
      .then(async () => {
        const runtimes = [...this.#runtimes.values()];
        const hosts = runtimes.map((runtime) => runtime.host);
        await Promise.all(runtimes.map((runtime) => runtime.updateHosts(hosts)));
      });
    return this.#hostsWritten;
  }

  /**
   * Writes the pod's status if it changed, guarded by the resourceVersion it was computed from.
   * The `final` report after stop() is written whatever the cache holds, guarded by the uid alone:
   * the pod cache is stopped by then and may not have seen the last status written.
   */
  async #reportStatus(
    key: string,
    runtime: PodRuntime,
    { known, final = false }: { known?: Pod; final?: boolean } = {},
  ): Promise<void> {
    const [namespace = "", name = ""] = key.split("/");
    const cached = this.#cache?.get(name, namespace);
    const pod = known ?? (cached && this.#parse(key, cached));
    if (!pod || pod.metadata.uid !== runtime.uid) return;
    const desired = desiredPodStatus(pod, runtime.snapshot(), new Date());
    if (!final && statusUpToDate(pod.status, desired)) return;
    const resourceVersion = final ? undefined : pod.metadata.resourceVersion;
    try {
      await this.#options.api.patchStatus(pod.metadata, resourceVersion, desired);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  #parse(key: string, object: V1Pod): Pod | undefined {
    const parsed = podSchema.safeParse(object);
    if (parsed.success) return parsed.data;
    if (!this.#unparsable.has(key)) {
      this.#unparsable.add(key);
      this.#options.log.warn(
        { pod: key, issues: parsed.error.issues.slice(0, 3) },
        "pod not understood; ignored",
      );
    }
    return undefined;
  }
}

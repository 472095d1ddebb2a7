/**
 * The process kubelet (DESIGN §6): a Node that schedules and runs the pods of Herald broker
 * StatefulSets as local processes of this checkout, each on its own loopback address, with an
 * in-cluster config that points at the local API server. With the real API server and
 * controller-manager it makes a true local cluster, in which the operator and the brokers run
 * unmodified.
 *
 * A pod informer only enqueues keys; workers sync one pod at a time (the operator's work queue:
 * never two syncs of one pod at once). A sync is level-triggered: it reads the cached pod and
 * binds it, starts it, reports its status, or stops and removes it.
 */
import { KubeConfig, KubernetesObjectApi, type V1Pod } from "@kubernetes/client-node";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import {
  defaultControllerRateLimiter,
  defaultRateLimiterOptions,
} from "../../operator/controller/rate-limiter.ts";
import { WorkQueue } from "../../operator/controller/work-queue.ts";
import { describeApiError, isConflict, isNotFound } from "../../operator/kube/api-error.ts";
import { KindCache } from "../../operator/kube/kind-cache.ts";
import { makeListWatch } from "../../operator/kube/list-watch.ts";
import { brokerPodLabelSelector, isHeraldBrokerPod, shouldBind } from "./binding.ts";
import { kubernetesServiceEnv } from "./env.ts";
import { AddressPool } from "./ipam.ts";
import { podApi, type PodApi } from "./kube-api.ts";
import { registerNode, type RegisteredNode } from "./node-registration.ts";
import { PodRuntime, type PodProcessInfo, type RuntimeDeps } from "./pod-runtime.ts";
import { podSchema, type Pod } from "./pod-schema.ts";
import { desiredPodStatus, statusUpToDate } from "./pod-status.ts";
import { kubeletBackoff, type BackoffOptions } from "./supervisor.ts";

export interface ProcessKubeletOptions {
  /** Path of the kubeconfig the kubelet itself uses (an admin one; it acts for the whole node). */
  kubeconfig: string;
  /** The checkout whose programs run (see entrypoint.ts). */
  repoRoot: string;
  nodeName: string;
  /**
   * Each pod's output goes to `<logDir>/<namespace>_<pod>.log`; its volumes (tokens included)
   * to `<logDir>/pods/<node>/`, removed with the pod.
   */
  logDir: string;
  /** Watch only these namespaces (default: all), so that two kubelets can share one cluster. */
  namespaces?: readonly string[];
  logger?: Logger;
  /** Crash-loop backoff; the kubelet's 10 s → 5 min by default. */
  backoff?: BackoffOptions;
  /** On stop, delete the Node instead of marking it NotReady (a later run adopts its pods). */
  deleteNodeOnStop?: boolean;
  /** The longest stop() lets a process drain before SIGKILL (the pod's own grace if shorter). */
  stopGraceMs?: number;
  /** The loopback /24 the pods' addresses come from, as three octets. */
  addressPrefix?: string;
  /** Where address allocations are recorded (machine-wide; see ipam.ts). */
  ipamDir?: string;
  /** Length of a probe "second"; only tests change it. */
  probeSecondMs?: number;
}

export interface ProcessKubelet {
  readonly nodeName: string;
  /** The pods this kubelet runs now, with their addresses and processes. */
  pods(): PodProcessInfo[];
  /** Stops every process (no orphans), then marks the node NotReady or deletes it. */
  stop(): Promise<void>;
}

const hostIP = "127.0.0.1";
const podResource = { group: "", version: "v1", kind: "Pod", plural: "pods" };
const workerCount = 4;
const fieldManager = "herald-process-kubelet";

export async function startProcessKubelet(options: ProcessKubeletOptions): Promise<ProcessKubelet> {
  const log = (options.logger ?? pino({ level: "info" })).child({ node: options.nodeName });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(options.kubeconfig);
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error(`${options.kubeconfig}: no current cluster`);
  const env = kubernetesServiceEnv(server);
  const prefix = options.addressPrefix ?? "127.0.10";
  // Volumes of an earlier run of this node (killed, so its processes died with it) are stale.
  const runDir = join(options.logDir, "pods", options.nodeName);
  await rm(runDir, { recursive: true, force: true });

  const node = await registerNode({
    kubeConfig,
    nodeName: options.nodeName,
    hostIP,
    podCIDR: `${prefix}.0/24`,
    log,
  });
  const worker = new PodWorker({
    api: podApi(kubeConfig, fieldManager),
    node,
    nodeName: options.nodeName,
    log,
    runtime: {
      addresses: new AddressPool({ prefix, dir: options.ipamDir }),
      repoRoot: options.repoRoot,
      logDir: options.logDir,
      runDir,
      hostIP,
      serviceEnv: env,
      nodeAllocatable: node.allocatable,
      backoff: options.backoff ?? kubeletBackoff,
      probeSecondMs: options.probeSecondMs,
      log,
    },
  });
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const pods = new KindCache<V1Pod>({
    resource: podResource,
    namespaces: options.namespaces ?? [],
    create: (namespace) =>
      makeListWatch<V1Pod>(kubeConfig, objects, podResource, namespace, {
        labelSelector: brokerPodLabelSelector,
      }),
    onChange: (pod) =>
      worker.enqueue(`${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`),
    log,
  });
  worker.attach(pods);
  await pods.start();
  log.info({ namespaces: options.namespaces ?? "all" }, "process kubelet running");

  let stopping: Promise<void> | undefined;
  return {
    nodeName: options.nodeName,
    pods: () => worker.pods(),
    stop() {
      stopping ??= (async () => {
        await pods.stop();
        await worker.stop(options.stopGraceMs ?? 30_000);
        await node.stop({ deleteNode: options.deleteNodeOnStop ?? false });
        log.info("process kubelet stopped");
      })();
      return stopping;
    },
  };
}

interface PodWorkerOptions {
  api: PodApi;
  node: RegisteredNode;
  nodeName: string;
  log: Logger;
  runtime: Omit<RuntimeDeps, "api" | "onChange">;
}

/** The kubelet's pod workers: sync(key) makes one pod's processes and status match its spec. */
class PodWorker {
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

  constructor(options: PodWorkerOptions) {
    this.#options = options;
  }

  enqueue(key: string): void {
    this.#queue.add(key);
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
        await this.#reportStatus(key, runtime).catch((err: unknown) =>
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
        await this.#reportStatus(key, runtime, pod);
        return undefined;
      }
      if (runtime) {
        await runtime.release();
        this.#runtimes.delete(key);
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
    }
    runtime.update(pod);
    const now = Date.now();
    const renewAt = await runtime.renewVolumes(now);
    await this.#reportStatus(key, runtime, pod);
    return renewAt === undefined ? undefined : Math.max(renewAt - now, 1000);
  }

  async #reportStatus(key: string, runtime: PodRuntime, known?: Pod): Promise<void> {
    const [namespace = "", name = ""] = key.split("/");
    const cached = this.#cache?.get(name, namespace);
    const pod = known ?? (cached && this.#parse(key, cached));
    if (!pod || pod.metadata.uid !== runtime.uid) return;
    const desired = desiredPodStatus(pod, runtime.snapshot(), new Date());
    if (statusUpToDate(pod.status, desired)) return;
    try {
      await this.#options.api.patchStatus(pod.metadata, pod.metadata.resourceVersion, desired);
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

/**
 * One bound pod on this node: its loopback address, its volumes and a supervised process per
 * runnable container, with probes. What the kubelet's pod workers and container runtime do
 * together, minus images and networking.
 */
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { EnvError, referencedObjects, resolveContainerEnv } from "./env.ts";
import { renderHosts, writeHostsFile, type PodHost } from "./hosts.ts";
import { imagePrograms, imageRepository, planProcess } from "./entrypoint.ts";
import type { AddressPool } from "./ipam.ts";
import type { PodApi } from "./kube-api.ts";
import type { Container, Pod } from "./pod-schema.ts";
import type { ContainerSnapshot, PodSnapshot } from "./pod-status.ts";
import { ContainerProbes } from "./prober.ts";
import { podHostname, sandboxCommand } from "./sandbox.ts";
import {
  Supervisor,
  type BackoffOptions,
  type Prepared,
  type RestartPolicy,
} from "./supervisor.ts";
import { PodVolumes, serviceAccountMountPath, VolumeError } from "./volumes.ts";

/** The Node installation the pods' programs run on: `<dir>/bin/node`. */
const nodeInstallDir = dirname(dirname(process.execPath));

export interface RuntimeDeps {
  api: PodApi;
  addresses: AddressPool;
  repoRoot: string;
  logDir: string;
  /** Per-pod volume directories live under it. */
  runDir: string;
  hostIP: string;
  serviceEnv: Readonly<Record<string, string>>;
  nodeAllocatable: Readonly<Record<string, string>>;
  /** The cluster DNS domain of the pods' names in /etc/hosts. */
  clusterDomain: string;
  backoff: BackoffOptions;
  /** Length of a probe "second"; tests shorten it. */
  probeSecondMs?: number;
  /** Something changed that the pod's status should show. */
  onChange: () => void;
  log: Logger;
}

/** What the kubelet tells its user about a pod it runs. */
export interface PodProcessInfo {
  namespace: string;
  name: string;
  uid: string;
  podIP: string;
  /** The host directory mounted at /var/run/secrets/kubernetes.io/serviceaccount, if any. */
  serviceAccountDir: string | undefined;
  containers: { name: string; pid: number | undefined; restartCount: number; state: string }[];
}

interface RunningContainer {
  container: Container;
  supervisor: Supervisor;
  probes: ContainerProbes | undefined;
}

const defaultGraceSeconds = 30;

export function graceSecondsOf(pod: Pod): number {
  return (
    pod.metadata.deletionGracePeriodSeconds ??
    pod.spec.terminationGracePeriodSeconds ??
    defaultGraceSeconds
  );
}

const toRestartPolicy = (policy: string | undefined): RestartPolicy =>
  policy === "OnFailure" || policy === "Never" ? policy : "Always";

export class PodRuntime {
  readonly uid: string;
  readonly podIP: string;
  /** Kept across kubelet restarts: the pod's start, not this process's. */
  readonly startTime: Date;
  readonly #deps: RuntimeDeps;
  readonly #dir: string;
  readonly #volumes: PodVolumes;
  readonly #containers = new Map<string, RunningContainer>();
  #pod: Pod;
  #volumesWritten: Promise<void> | undefined;
  #renewAt: number | undefined;
  /** A ConfigMap or Secret its volumes read has changed since they were written. */
  #volumesStale = false;
  #stopping: Promise<void> | undefined;
  #stopped = false;
  #released = false;

  private constructor(pod: Pod, podIP: string, deps: RuntimeDeps) {
    this.#pod = pod;
    this.uid = pod.metadata.uid;
    this.podIP = podIP;
    this.startTime = new Date(pod.status?.startTime ?? Date.now());
    this.#deps = deps;
    this.#dir = join(deps.runDir, `${pod.metadata.namespace}_${pod.metadata.name}_${this.uid}`);
    this.#volumes = new PodVolumes(
      () => ({ pod: this.#pod, podIP, hostIP: deps.hostIP }),
      deps.api,
      this.#dir,
    );
  }

  /** Gives the pod its address and starts its containers. */
  static async start(pod: Pod, deps: RuntimeDeps): Promise<PodRuntime> {
    const podIP = await deps.addresses.allocate(pod.metadata.uid);
    const runtime = new PodRuntime(pod, podIP, deps);
    try {
      await mkdir(runtime.#dir, { recursive: true, mode: 0o700 });
      await runtime.updateHosts([]);
    } catch (err) {
      await deps.addresses.release(podIP);
      throw err;
    }
    for (const container of pod.spec.initContainers ?? []) {
      deps.log.warn(
        { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, container: container.name },
        "init container skipped: the process kubelet runs only the pod's main containers",
      );
    }
    for (const container of pod.spec.containers) runtime.#startContainer(container);
    return runtime;
  }

  /** How long the pod's processes get between SIGTERM and SIGKILL. */
  get graceMs(): number {
    return graceSecondsOf(this.#pod) * 1000;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The pod's entry in every pod's /etc/hosts. */
  get host(): PodHost {
    const { metadata, spec } = this.#pod;
    return {
      ip: this.podIP,
      namespace: metadata.namespace,
      hostname: podHostname(spec.hostname, metadata.name),
      subdomain: spec.subdomain,
    };
  }

  /** Rewrites this pod's /etc/hosts to list `pods` (the node's pods) besides itself. */
  async updateHosts(pods: readonly PodHost[]): Promise<void> {
    const content = renderHosts(this.host, pods, this.#deps.clusterDomain);
    await writeHostsFile(this.#hostsFile, content).catch((err: unknown) => {
      // Another worker released this pod meanwhile: its directory, hosts file included, is gone.
      if (!this.#released) throw err;
    });
  }

  get #hostsFile(): string {
    return join(this.#dir, "hosts");
  }

  /** The pod as last synced. */
  get pod(): Pod {
    return this.#pod;
  }

  /** The latest pod object: downward-API values for later starts come from it. */
  update(pod: Pod): void {
    this.#pod = pod;
  }

  /** A ConfigMap or Secret its volumes read changed: the next renewVolumes rewrites them. */
  markVolumesStale(): void {
    this.#volumesStale = true;
  }

  /**
   * Rewrites the volumes once written, when a token is due or they are stale; returns when they
   * are next due. An object that cannot be read now (a Secret deleted that is not optional)
   * leaves them as they are, as the kubelet does, until it changes again. Before they were ever
   * written, a change retries the waiting starts instead.
   */
  async renewVolumes(now: number): Promise<number | undefined> {
    if (!this.#volumesWritten) {
      // Never written: a start waits for an object; the change may be the one it waits for.
      if (this.#volumesStale) this.#retryStarts();
      this.#volumesStale = false;
      return this.#renewAt;
    }
    const due = this.#renewAt !== undefined && now >= this.#renewAt;
    if (!(due || this.#volumesStale)) return this.#renewAt;
    this.#volumesStale = false;
    try {
      await this.#writeVolumes(now);
    } catch (err) {
      if (!(err instanceof VolumeError)) {
        this.#volumesStale = true; // the retry rewrites them
        throw err;
      }
      this.#deps.log.warn({ uid: this.uid, error: err.message }, "volumes not updated");
    }
    return this.#renewAt;
  }

  snapshot(): PodSnapshot {
    const containers = [...this.#containers.values()].map(
      ({ container, supervisor, probes }): ContainerSnapshot => ({
        name: container.name,
        image: container.image ?? "",
        imageID: this.#imageID(container),
        state: supervisor.state,
        lastTermination: supervisor.lastTermination,
        restartCount: supervisor.restartCount,
        started: probes?.started ?? false,
        ready: probes?.ready ?? false,
      }),
    );
    const initContainers = (this.#pod.spec.initContainers ?? []).map(
      (container): ContainerSnapshot => ({
        name: container.name,
        image: container.image ?? "",
        imageID: "",
        state: {
          kind: "waiting",
          reason: "NotRunByProcessKubelet",
          message: `the process kubelet runs only the main containers (${container.name} skipped)`,
        },
        lastTermination: undefined,
        restartCount: 0,
        started: false,
        ready: false,
      }),
    );
    return {
      podIP: this.podIP,
      hostIP: this.#deps.hostIP,
      startTime: this.startTime,
      containers,
      initContainers,
      terminating: this.#stopping !== undefined,
    };
  }

  info(): PodProcessInfo {
    const { namespace, name } = this.#pod.metadata;
    const serviceAccountVolume = this.#pod.spec.containers
      .flatMap((container) => container.volumeMounts ?? [])
      .find((mount) => mount.mountPath === serviceAccountMountPath)?.name;
    return {
      namespace,
      name,
      uid: this.uid,
      podIP: this.podIP,
      serviceAccountDir: serviceAccountVolume && this.#volumes.dirOf(serviceAccountVolume),
      containers: [...this.#containers.values()].map(({ container, supervisor }) => ({
        name: container.name,
        pid: supervisor.pid,
        restartCount: supervisor.restartCount,
        state: supervisor.state.kind,
      })),
    };
  }

  /** SIGTERM to every process, SIGKILL after `graceMs`; idempotent. */
  stop(graceMs: number): Promise<void> {
    this.#stopping ??= (async () => {
      this.#deps.onChange();
      await Promise.all(
        [...this.#containers.values()].map(async (running) => {
          running.probes?.stop();
          await running.supervisor.stop(graceMs);
        }),
      );
      this.#stopped = true;
      this.#deps.onChange();
    })();
    return this.#stopping;
  }

  /** After stop: frees the address and removes the volumes. */
  async release(): Promise<void> {
    this.#released = true;
    await this.#volumes.remove();
    await rm(this.#dir, { recursive: true, force: true });
    await this.#deps.addresses.release(this.podIP);
  }

  #startContainer(container: Container): void {
    const { namespace, name } = this.#pod.metadata;
    const previous = this.#pod.status?.containerStatuses?.find((s) => s.name === container.name);
    const log = this.#deps.log.child({ pod: `${namespace}/${name}`, container: container.name });
    const running: RunningContainer = {
      container,
      probes: undefined,
      supervisor: new Supervisor({
        name: `${namespace}/${name}/${container.name}`,
        restartPolicy: toRestartPolicy(this.#pod.spec.restartPolicy),
        prepare: () => this.#prepare(container),
        logFile: join(this.#deps.logDir, `${namespace}_${name}.log`),
        backoff: this.#deps.backoff,
        restartCount: previous?.restartCount ?? 0,
        resumed: previous?.containerID !== undefined,
        onChange: () => {
          // Probes belong to one process: a run that ended takes them along.
          if (running.supervisor.state.kind !== "running") {
            running.probes?.stop();
            running.probes = undefined;
          }
          this.#deps.onChange();
        },
        onStart: () => {
          running.probes = new ContainerProbes(
            container,
            this.podIP,
            {
              onChange: this.#deps.onChange,
              onUnhealthy: (kind, message) => {
                log.warn({ probe: kind, message }, "container unhealthy; restarting it");
                void running.supervisor.kill(this.graceMs);
              },
            },
            this.#deps.probeSecondMs,
          );
          running.probes.start();
        },
        log,
      }),
    };
    this.#containers.set(container.name, running);
    running.supervisor.start();
  }

  #retryStarts(): void {
    for (const { supervisor } of this.#containers.values()) supervisor.retryPrepareNow();
  }

  #ensureVolumes(): Promise<void> {
    this.#volumesWritten ??= this.#writeVolumes(Date.now()).catch((err: unknown) => {
      this.#volumesWritten = undefined; // try again at the next start
      throw err;
    });
    return this.#volumesWritten;
  }

  async #writeVolumes(now: number): Promise<void> {
    const { renewAt, updated, warnings } = await this.#volumes.write(
      this.#pod.spec.containers,
      now,
    );
    this.#renewAt = renewAt;
    for (const warning of warnings) this.#deps.log.warn({ uid: this.uid }, warning);
    if (updated.length > 0) this.#deps.log.debug({ uid: this.uid, updated }, "volumes written");
  }

  /** Everything a start needs, resolved afresh: volumes, env, command line, mounts. */
  async #prepare(container: Container): Promise<Prepared> {
    const pod = this.#pod;
    const plan = (env: Record<string, string>) =>
      planProcess({
        container,
        env,
        podIP: this.podIP,
        hostname: podHostname(pod.spec.hostname, pod.metadata.name),
        repoRoot: this.#deps.repoRoot,
        node: process.execPath,
      });
    // An image that cannot run here never will: say so before any API call.
    const probe = plan({});
    if (!probe.runnable) {
      return { notStartable: { reason: probe.reason, message: probe.message, retry: false } };
    }
    try {
      await this.#ensureVolumes();
    } catch (err) {
      if (!(err instanceof VolumeError)) throw err;
      return { notStartable: { reason: "ContainerCreating", message: err.message, retry: true } };
    }
    let env: Record<string, string>;
    try {
      env = await this.#resolveEnv(container, pod);
    } catch (err) {
      if (!(err instanceof EnvError)) throw err;
      return {
        notStartable: { reason: "CreateContainerConfigError", message: err.message, retry: true },
      };
    }
    const planned = plan(env);
    if (!planned.runnable) throw new Error(planned.message);
    const { mounts, warnings } = await this.#volumes.mountsOf(container);
    for (const warning of warnings) this.#deps.log.warn({ uid: this.uid }, warning);
    const { file, args } = sandboxCommand({
      hostname: podHostname(pod.spec.hostname, pod.metadata.name),
      mounts: [
        ...mounts,
        { source: this.#hostsFile, target: "/etc/hosts", readOnly: true },
        // The checkout and the Node runtime are this "image's" filesystem: mounted last, they stay
        // visible at their paths even when a volume covers a parent of them (an emptyDir at /tmp,
        // a clone or a cache in /tmp).
        { source: this.#deps.repoRoot, target: this.#deps.repoRoot, readOnly: true },
        { source: nodeInstallDir, target: nodeInstallDir, readOnly: true },
      ],
      argv: planned.argv,
    });
    return { spawn: { file, args, env: planned.env, cwd: planned.cwd } };
  }

  async #resolveEnv(container: Container, pod: Pod): Promise<Record<string, string>> {
    const { namespace } = pod.metadata;
    const refs = referencedObjects(container);
    const fetchAll = async (
      names: string[],
      read: (namespace: string, name: string) => Promise<Record<string, string> | undefined>,
    ) => {
      const entries = await Promise.all(
        names.map(async (name) => [name, await read(namespace, name)] as const),
      );
      return new Map(
        entries.filter((entry): entry is readonly [string, Record<string, string>] => !!entry[1]),
      );
    };
    const { env, invalidKeys } = resolveContainerEnv(container, {
      pod,
      podIP: this.podIP,
      hostIP: this.#deps.hostIP,
      configMaps: await fetchAll(refs.configMaps, (ns, name) =>
        this.#deps.api.readConfigMap(ns, name),
      ),
      secrets: await fetchAll(refs.secrets, (ns, name) => this.#deps.api.readSecret(ns, name)),
      serviceEnv: this.#deps.serviceEnv,
      nodeAllocatable: this.#deps.nodeAllocatable,
    });
    if (invalidKeys.length > 0) {
      this.#deps.log.warn(
        { uid: this.uid, container: container.name, invalidKeys },
        "envFrom keys that are not valid variable names were skipped",
      );
    }
    return env;
  }

  #imageID(container: Container): string {
    const program = imagePrograms[imageRepository(container.image ?? "")];
    return program ? `process://${join(this.#deps.repoRoot, program.script)}` : "";
  }
}

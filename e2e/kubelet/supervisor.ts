/**
 * One container's process through its life, as the kubelet's container runtime would keep it:
 * prepare (env, volumes) → run → on exit, restart per restartPolicy with the kubelet's crash-loop
 * backoff (the first restart at once, then doubling from `initialMs` to `maxMs`, forgotten after a
 * run longer than twice the maximum) → stop with SIGTERM and, after the grace period, SIGKILL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { open } from "node:fs/promises";
import { constants } from "node:os";
import type { Logger } from "pino";
import { itemExponentialLimiter } from "../../lib/kube/rate-limiter.ts";

export interface SpawnSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** A container that cannot start (yet): shown as the waiting reason, retried with backoff. */
export interface NotStartable {
  reason: string;
  message: string;
  /** False when retrying cannot help (an image that cannot run here): no retries. */
  retry: boolean;
}

export type Prepared = { spawn: SpawnSpec } | { notStartable: NotStartable };

export type ContainerState =
  | { kind: "waiting"; reason: string; message?: string }
  | { kind: "running"; pid: number; startedAt: Date }
  | {
      kind: "terminated";
      exitCode: number;
      signal?: number;
      reason: string;
      startedAt: Date;
      finishedAt: Date;
      pid: number;
    };

export type RestartPolicy = "Always" | "OnFailure" | "Never";

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/** The kubelet's crash-loop backoff. */
export const kubeletBackoff: BackoffOptions = { initialMs: 10_000, maxMs: 300_000 };

export interface SupervisorOptions {
  /** For the process log's headers: "namespace/pod/container". */
  name: string;
  restartPolicy: RestartPolicy;
  /** Called before every start: the kubelet resolves env and volumes afresh each time. */
  prepare: () => Promise<Prepared>;
  /** stdout and stderr are appended here. */
  logFile: string;
  backoff: BackoffOptions;
  /** Restarts already counted by an earlier kubelet (from the pod's status). */
  restartCount: number;
  /** Whether an earlier kubelet ran this container: then the first start here is a restart. */
  resumed: boolean;
  /** Any change of state or readiness; must only enqueue. */
  onChange: () => void;
  /** A process started; probes attach to it. */
  onStart?: (pid: number) => void;
  /** The kubelet's log, already naming the container. */
  log: Logger;
}

export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #backoff;
  #state: ContainerState = { kind: "waiting", reason: "ContainerCreating" };
  #lastTermination: Extract<ContainerState, { kind: "terminated" }> | undefined;
  #restartCount: number;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #starting: Promise<void> = Promise.resolve();
  #stopping = false;
  #started: boolean;
  #failures = 0;
  /** A start could not be prepared and its retry is scheduled. */
  #awaitingPrepare = false;

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#restartCount = options.restartCount;
    this.#started = options.resumed;
    this.#backoff = itemExponentialLimiter(options.backoff.initialMs, options.backoff.maxMs);
  }

  get state(): ContainerState {
    return this.#state;
  }

  /** The previous run's end: the container status's lastState. */
  get lastTermination(): ContainerState | undefined {
    return this.#lastTermination;
  }

  get restartCount(): number {
    return this.#restartCount;
  }

  get pid(): number | undefined {
    return this.#state.kind === "running" ? this.#state.pid : undefined;
  }

  start(): void {
    this.#schedule(0);
  }

  /**
   * Something a failed preparation waited for may be there now (a Secret created): the
   * scheduled retry runs at once. Running or crash-looping containers are left alone.
   */
  retryPrepareNow(): void {
    if (this.#awaitingPrepare && !this.#stopping) this.#schedule(0);
  }

  /**
   * Ends the current run (SIGTERM, then SIGKILL after `graceMs`); the restart policy then applies
   * as after any exit. Used when a liveness or startup probe fails.
   */
  async kill(graceMs: number): Promise<void> {
    await this.#terminate(graceMs);
  }

  /** Stops for good: no restart. Resolves once the process has exited. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    await this.#starting; // a start under way finishes, so its process is stopped too
    await this.#terminate(graceMs);
  }

  async #terminate(graceMs: number): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = this.#exited;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  async #run(): Promise<void> {
    this.#awaitingPrepare = false;
    if (this.#stopping) return;
    let prepared: Prepared;
    try {
      prepared = await this.#options.prepare();
    } catch (err) {
      prepared = {
        notStartable: {
          reason: "CreateContainerError",
          message: err instanceof Error ? err.message : String(err),
          retry: true,
        },
      };
    }
    if (this.#stopping) return;
    if ("notStartable" in prepared) {
      const { reason, message, retry } = prepared.notStartable;
      this.#setState({ kind: "waiting", reason, message });
      this.#options.log.warn({ reason, message }, "cannot start");
      if (retry) {
        this.#awaitingPrepare = true;
        this.#schedule(this.#backoff.when("prepare"));
      }
      return;
    }
    this.#backoff.forget("prepare");
    await this.#spawn(prepared.spawn);
  }

  async #spawn(spec: SpawnSpec): Promise<void> {
    const logFile = await open(this.#options.logFile, "a");
    try {
      if (this.#started) this.#restartCount++;
      this.#started = true;
      const startedAt = new Date();
      await logFile.write(
        `--- process kubelet: ${this.#options.name} starting (restart ${this.#restartCount}) at ${startedAt.toISOString()}\n`,
      );
      // From spawn to the listeners nothing may await: a fast exit would go unseen.
      const child = spawn(spec.file, spec.args, {
        env: spec.env,
        cwd: spec.cwd,
        stdio: ["ignore", logFile.fd, logFile.fd],
      });
      this.#child = child;
      this.#exited = new Promise((resolve) => {
        child.once("error", (err) => {
          // Spawning failed (no pid): no 'exit' event follows.
          if (child.pid !== undefined) return;
          this.#onExit(child, startedAt, 127, null, err.message);
          resolve();
        });
        child.once("exit", (code, signal) => {
          this.#onExit(child, startedAt, code, signal);
          resolve();
        });
      });
      if (child.pid === undefined) return;
      this.#options.log.info(
        { pid: child.pid, restartCount: this.#restartCount },
        "container started",
      );
      this.#setState({ kind: "running", pid: child.pid, startedAt });
      this.#options.onStart?.(child.pid);
    } finally {
      // The child holds its own copy of the descriptor.
      await logFile.close();
    }
  }

  #onExit(
    child: ChildProcess,
    startedAt: Date,
    code: number | null,
    signal: NodeJS.Signals | null,
    error?: string,
  ): void {
    if (this.#child === child) this.#child = undefined;
    const finishedAt = new Date();
    const signalNumber = signal ? constants.signals[signal] : undefined;
    const exitCode = code ?? 128 + (signalNumber ?? 0);
    const termination = {
      kind: "terminated" as const,
      exitCode,
      ...(signalNumber !== undefined ? { signal: signalNumber } : {}),
      reason: error ? "StartError" : exitCode === 0 ? "Completed" : "Error",
      startedAt,
      finishedAt,
      pid: child.pid ?? 0,
    };
    this.#lastTermination = termination;
    this.#options.log.info({ pid: child.pid, exitCode, signal, error }, "container exited");
    const policy = this.#options.restartPolicy;
    const restart =
      !this.#stopping && (policy === "Always" || (policy === "OnFailure" && exitCode !== 0));
    if (!restart) {
      this.#setState(termination);
      return;
    }
    // A run that lasted past twice the maximum backoff was healthy: the crash loop starts over.
    const ranMs = finishedAt.getTime() - startedAt.getTime();
    if (ranMs > 2 * this.#options.backoff.maxMs) this.#failures = 0;
    const delayMs = this.#failures === 0 ? 0 : this.#backoff.when("crash");
    if (this.#failures === 0) this.#backoff.forget("crash");
    this.#failures++;
    this.#setState({
      kind: "waiting",
      reason: delayMs > 0 ? "CrashLoopBackOff" : "ContainerCreating",
      ...(delayMs > 0
        ? { message: `back-off ${Math.round(delayMs / 1000)}s restarting failed container` }
        : {}),
    });
    this.#schedule(delayMs);
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#starting = this.#run().catch((err: unknown) => {
        // The log file could not be opened, or spawn threw: retried like a failed prepare.
        const message = err instanceof Error ? err.message : String(err);
        this.#setState({ kind: "waiting", reason: "StartError", message });
        this.#schedule(this.#backoff.when("prepare"));
      });
    }, delayMs);
  }

  #setState(state: ContainerState): void {
    this.#state = state;
    this.#options.onChange();
  }
}

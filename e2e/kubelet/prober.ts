/**
 * A container's probes with the kubelet's semantics: the startup probe runs first and gates the
 * others; readiness decides `ready`; a liveness (or startup) probe failing `failureThreshold`
 * times in a row has the container killed and restarted. httpGet and tcpSocket probes are run
 * against the pod's address; exec and grpc probes are not supported and always fail, with a
 * message in the kubelet's log.
 */
import { connect } from "node:net";
import type { Container, Probe } from "./pod-schema.ts";

export type ProbeKind = "startup" | "readiness" | "liveness";

export interface ProbeResult {
  ok: boolean;
  message?: string;
}

/** One probe attempt; `port` names are resolved against the container's ports. */
export async function runProbe(
  probe: Probe,
  container: Container,
  podIP: string,
): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  const portOf = (port: number | string): number | undefined =>
    typeof port === "number"
      ? port
      : (container.ports?.find((p) => p.name === port)?.containerPort ??
        (/^\d+$/.test(port) ? Number(port) : undefined));
  try {
    if (probe.httpGet) {
      const { path = "/", host = podIP, scheme = "HTTP", httpHeaders = [] } = probe.httpGet;
      const port = portOf(probe.httpGet.port);
      if (port === undefined) return { ok: false, message: `unknown port ${probe.httpGet.port}` };
      const url = `${scheme.toLowerCase()}://${host}:${port}${path}`;
      const response = await fetch(url, {
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "manual",
        headers: Object.fromEntries(httpHeaders.map(({ name, value }) => [name, value])),
      });
      await response.body?.cancel();
      const ok = response.status >= 200 && response.status < 400;
      return ok ? { ok } : { ok, message: `HTTP probe failed with statuscode: ${response.status}` };
    }
    if (probe.tcpSocket) {
      const port = portOf(probe.tcpSocket.port);
      if (port === undefined) return { ok: false, message: `unknown port ${probe.tcpSocket.port}` };
      await tcpConnect(probe.tcpSocket.host ?? podIP, port, timeoutMs);
      return { ok: true };
    }
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  return { ok: false, message: "exec and grpc probes are not supported by the process kubelet" };
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("timeout", () => {
      socket.destroy();
      reject(new Error(`dial tcp ${host}:${port}: i/o timeout`));
    });
    socket.once("error", reject);
  });
}

export interface ProberEvents {
  /** `started` or `ready` changed; must only enqueue. */
  onChange: () => void;
  /** A liveness or startup probe failed for good: the container must be restarted. */
  onUnhealthy: (kind: ProbeKind, message: string) => void;
}

/** The probes of one run of a container (one process); a new run gets a new ContainerProbes. */
export class ContainerProbes {
  readonly #container: Container;
  readonly #podIP: string;
  readonly #events: ProberEvents;
  /** Length of a probe "second" (periods and delays are whole seconds); tests shorten it. */
  readonly #secondMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;
  #started = false;
  #ready = false;

  constructor(container: Container, podIP: string, events: ProberEvents, secondMs = 1000) {
    this.#container = container;
    this.#podIP = podIP;
    this.#events = events;
    this.#secondMs = secondMs;
  }

  /** The startup probe has succeeded (or there is none). */
  get started(): boolean {
    return this.#started;
  }

  get ready(): boolean {
    return this.#ready;
  }

  start(): void {
    const { startupProbe } = this.#container;
    if (startupProbe) this.#loop("startup", startupProbe);
    else this.#onStarted();
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #onStarted(): void {
    this.#started = true;
    const { readinessProbe, livenessProbe } = this.#container;
    // Without a readiness probe a started container is ready.
    if (readinessProbe) this.#loop("readiness", readinessProbe);
    else this.#ready = true;
    if (livenessProbe) this.#loop("liveness", livenessProbe);
    this.#events.onChange();
  }

  #loop(kind: ProbeKind, probe: Probe): void {
    const periodMs = (probe.periodSeconds ?? 10) * this.#secondMs;
    const successThreshold = probe.successThreshold ?? 1;
    const failureThreshold = probe.failureThreshold ?? 3;
    let successes = 0;
    let failures = 0;
    const tick = async () => {
      const result = await runProbe(probe, this.#container, this.#podIP);
      if (this.#stopped) return;
      successes = result.ok ? successes + 1 : 0;
      failures = result.ok ? 0 : failures + 1;
      if (kind === "startup") {
        if (result.ok) return this.#onStarted(); // the startup probe stops once it succeeds
        if (failures >= failureThreshold) return this.#unhealthy(kind, result.message);
      } else if (kind === "readiness") {
        const ready = this.#ready ? failures < failureThreshold : successes >= successThreshold;
        if (ready !== this.#ready) {
          this.#ready = ready;
          this.#events.onChange();
        }
      } else if (failures >= failureThreshold) {
        return this.#unhealthy(kind, result.message);
      }
      this.#after(periodMs, tick);
    };
    this.#after((probe.initialDelaySeconds ?? 0) * this.#secondMs, tick);
  }

  #unhealthy(kind: ProbeKind, message = "probe failed"): void {
    this.stop();
    this.#events.onUnhealthy(kind, message);
  }

  #after(delayMs: number, run: () => Promise<void>): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void run();
    }, delayMs);
    this.#timers.add(timer);
  }
}

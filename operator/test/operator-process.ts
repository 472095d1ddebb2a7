import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { until } from "../../testing/until.ts";

const mainFile = new URL("../main.ts", import.meta.url).pathname;

export interface OperatorProcess {
  child: ChildProcess;
  identity: string;
  /** JSON log lines so far, for assertions and for failure messages. */
  logs: Record<string, unknown>[];
  metricsUrl(): Promise<string>;
  /** Sum of herald_reconcile_total over results, from /metrics. */
  reconciles(): Promise<number>;
  /** SIGTERM and wait for exit; resolves the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no cleanup, no lease release. */
  kill(): Promise<void>;
}

/**
 * Runs `operator/main.ts` as its own process, the way `make operator` does; `main` runs another
 * entry point (the compiled one), with `nodeArgs` before it.
 */
export function startOperatorProcess(options: {
  kubeconfig: string;
  watchNamespace: string;
  leaseNamespace: string;
  identity: string;
  extraEnv?: Record<string, string>;
  main?: string;
  nodeArgs?: readonly string[];
}): OperatorProcess {
  const args = [...(options.nodeArgs ?? []), options.main ?? mainFile];
  const child = spawn(process.execPath, args, {
    env: {
      PATH: process.env.PATH ?? "",
      KUBECONFIG: options.kubeconfig,
      WATCH_NAMESPACE: options.watchNamespace,
      LEADER_ELECTION_NAMESPACE: options.leaseNamespace,
      POD_NAME: options.identity,
      HERALD_HTTP_ADDR: "127.0.0.1:0",
      HERALD_LOG_LEVEL: "info",
      ...options.extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
  });
  createInterface({ input: child.stderr }).on("line", (line) => logs.push({ stderr: line }));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );

  const metricsUrl = async () => {
    const listening = await until("operator http port", () =>
      logs.find((line) => line.msg === "operator http listening"),
    );
    return `http://127.0.0.1:${String(listening.port)}/metrics`;
  };
  return {
    child,
    identity: options.identity,
    logs,
    metricsUrl,
    async reconciles() {
      const text = await (await fetch(await metricsUrl())).text();
      return text
        .split("\n")
        .filter((line) => line.startsWith("herald_reconcile_total{"))
        .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Waits until the process reports it leads and reconciles. */
export function waitUntilReconciling(
  operator: OperatorProcess,
  timeoutMs = 30_000,
): Promise<unknown> {
  return until(
    `${operator.identity} to reconcile`,
    () => operator.logs.find((line) => line.msg === "caches synced; reconciling"),
    { timeoutMs: timeoutMs },
  );
}

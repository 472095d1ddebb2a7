/**
 * Runs `node broker/main.ts` as a child process (Node 24 runs the TypeScript
 * directly), as a user or the operator would, for tests of the process
 * contract: startup, SIGTERM drain, SIGKILL and restart.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";
import type { TestEnv } from "../../testing/test-env.ts";

const mainPath = join(import.meta.dirname, "..", "main.ts");

const ListeningLine = z.object({
  msg: z.string(),
  address: z.string().optional(),
  port: z.number().optional(),
});

export interface BrokerProcess {
  readonly child: ChildProcess;
  /** host:port of the gRPC server. */
  readonly address: string;
  readonly httpUrl: string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Every log line so far. */
  readonly logs: string[];
}

/** Longest a broker may take to listen; past it the process is killed, so no failed test leaves it running. */
const listenTimeoutMs = 60_000;

/** Starts a broker on ephemeral loopback ports and resolves once both servers listen. */
export async function startBrokerProcess(env: Record<string, string>): Promise<BrokerProcess> {
  const child = spawn(process.execPath, [mainPath], {
    env: {
      PATH: process.env.PATH ?? "",
      HERALD_GRPC_ADDR: "127.0.0.1:0",
      HERALD_HTTP_ADDR: "127.0.0.1:0",
      HERALD_LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = once(child, "exit").then(([code, signal]: unknown[]) =>
    typeof code === "number" ? code : String(signal),
  );
  const logs: string[] = [];
  let address: string | undefined;
  let httpPort: number | undefined;
  const listening = new Promise<void>((resolve, reject) => {
    void exited.then((code) =>
      reject(new Error(`broker exited (${code}) before listening:\n${logs.join("\n")}`)),
    );
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        logs.push(line);
        const parsed = ListeningLine.safeParse(safeJson(line));
        if (!parsed.success) return;
        if (parsed.data.msg === "broker listening") address = parsed.data.address;
        if (parsed.data.msg === "http listening") httpPort = parsed.data.port;
        if (address !== undefined && httpPort !== undefined) resolve();
      });
    }
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), listenTimeoutMs);
  await listening.finally(() => clearTimeout(timer));
  return { child, address: address ?? "", httpUrl: `http://127.0.0.1:${httpPort}`, exited, logs };
}

const LogLine = z.object({ level: z.number(), msg: z.string() });
export type LogLine = z.infer<typeof LogLine>;

/**
 * Starts a broker, stops it with SIGTERM once it listens, and returns its JSON log lines (up to
 * the listening line) and its exit code.
 */
export async function startupLogs(
  env: Record<string, string>,
): Promise<{ lines: LogLine[]; exitCode: number | string }> {
  const broker = await startBrokerProcess(env);
  const listened = broker.logs.length;
  broker.child.kill("SIGTERM");
  const exitCode = await broker.exited;
  const lines = broker.logs
    .slice(0, listened)
    .flatMap((line) => LogLine.safeParse(safeJson(line)).data ?? []);
  return { lines, exitCode };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** HTTP status of GET `path`, or 0 when the server does not answer. */
export async function httpStatus(broker: BrokerProcess, path: string): Promise<number> {
  try {
    return (await fetch(`${broker.httpUrl}${path}`, { signal: AbortSignal.timeout(2_000) })).status;
  } catch {
    return 0;
  }
}

export type PersistentKind = "postgres" | "cassandra";

/** The store variables of a broker process on `namespace`, reaching the server on `port` (a proxy) if given. */
export function brokerStoreEnv(
  kind: PersistentKind,
  env: TestEnv,
  namespace: string,
  port?: number,
): Record<string, string> {
  if (kind === "postgres") {
    const url = new URL(env.postgres.url);
    if (port !== undefined) url.port = String(port);
    return {
      HERALD_STORE: "postgres",
      HERALD_POSTGRES_URL: url.toString(),
      HERALD_POSTGRES_SCHEMA: namespace,
    };
  }
  return {
    HERALD_STORE: "cassandra",
    HERALD_CASSANDRA_CONTACT_POINTS: `${env.cassandra.contactPoint}:${port ?? env.cassandra.port}`,
    HERALD_CASSANDRA_LOCAL_DC: env.cassandra.localDataCenter,
    HERALD_CASSANDRA_KEYSPACE: namespace,
  };
}

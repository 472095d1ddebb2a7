/**
 * The measurements, written once against the Target interface so that Herald,
 * the ceiling and the peers are driven by the same loops with the same
 * concurrency model and message sizes.
 */
import type { GrpcClient } from "./grpc-client.ts";
import { closedLoop, sleep, type ClosedLoopResult } from "./closed-loop.ts";
import { openLoopLatency, sequencedBody, type LatencyResult } from "./open-loop.ts";
import type { Target, TargetClient } from "../targets/target.ts";

export interface Params {
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxOps: number;
  readonly clients: readonly number[];
  readonly bodies: readonly number[];
  readonly latencyRate: number;
  readonly latencyMs: number;
  readonly fanOutSubscribers: number;
  readonly fanOutConnections: number;
  readonly fanOutMessages: number;
  readonly fanOutWindow: number;
  readonly fanOutTimeoutMs: number;
}

export interface PublishPoint extends ClosedLoopResult {
  readonly clients: number;
  readonly bodyBytes: number;
  /** Messages per group-commit write during the window (Herald only). */
  readonly avgBatchSize?: number;
  /** CPU of the server's processes per acknowledged publish, in µs (the store's own server excluded). */
  readonly serverCpuUsPerOp?: number;
}

export interface FanOutResult {
  readonly subscribers: number;
  readonly messages: number;
  readonly deliveries: number;
  readonly durationMs: number;
  readonly deliveriesPerSec: number;
  readonly complete: boolean;
}

let subjects = 0;
export const freshSubject = (prefix: string) =>
  `bench.${prefix}.${Date.now().toString(36)}.${subjects++}`;

/** Subjects accepted by every target: letters, digits and dots. */
const subjectPrefix = (target: Target) => target.name.replace(/[^a-z0-9]/gi, "");

export interface MatrixEntry {
  readonly target: Target;
  readonly batchStats?: () => Promise<{ sum: number; count: number } | undefined>;
  /** Publishes each client keeps in flight (a pipelining client); 1 when absent. */
  readonly inFlight?: number;
}

/**
 * Publish throughput at each (body size, clients): `clients` connections, one
 * publish in flight on each (or `inFlight`, each issuing the next as soon as
 * one is acknowledged), all on one fresh subject per point. The targets
 * take turns at each point, so that drifting background load on a shared
 * machine hits them alike and their ratios stay meaningful. A target whose
 * connections fail is left out (its error is in `failures`).
 */
export async function publishMatrix(
  entries: readonly MatrixEntry[],
  params: Params,
): Promise<{ points: Map<string, PublishPoint[]>; failures: Map<string, string> }> {
  const maxClients = Math.max(...params.clients);
  const clients = new Map<string, TargetClient[]>();
  const points = new Map<string, PublishPoint[]>();
  const failures = new Map<string, string>();
  const live = async (entry: MatrixEntry) => {
    const connected: TargetClient[] = [];
    clients.set(entry.target.name, connected);
    try {
      for (let i = 0; i < maxClients; i++) connected.push(await entry.target.connect());
      return [entry];
    } catch (err) {
      failures.set(entry.target.name, `failed: ${describe(err)}`);
      return [];
    }
  };
  const running = (await Promise.all(entries.map(live))).flat();
  try {
    for (const bodyBytes of params.bodies) {
      const body = Buffer.alloc(bodyBytes, 0x61);
      for (const count of params.clients) {
        for (const { target, batchStats, inFlight = 1 } of running) {
          if (failures.has(target.name)) continue;
          try {
            const subject = freshSubject(subjectPrefix(target));
            await target.prepare(subject);
            const before = await batchStats?.();
            const result = await closedLoop(
              (clients.get(target.name) ?? [])
                .slice(0, count)
                .flatMap((client) =>
                  Array.from({ length: inFlight }, () => () => client.publish(subject, body)),
                ),
              { ...params, probe: () => target.serverCpuMs() },
            );
            const after = await batchStats?.();
            await target.release(subject);
            const batches = before && after ? after.count - before.count : 0;
            const { probed, ...loop } = result;
            const point: PublishPoint = {
              clients: count,
              bodyBytes,
              ...loop,
              ...(probed !== undefined && loop.ops > 0 && Number.isFinite(probed)
                ? { serverCpuUsPerOp: (probed * 1000) / loop.ops }
                : {}),
              ...(before && after && batches > 0
                ? { avgBatchSize: (after.sum - before.sum) / batches }
                : {}),
            };
            points.set(target.name, [...(points.get(target.name) ?? []), point]);
            console.error(
              `  ${target.name}: publish ${count} clients${inFlight > 1 ? ` × ${inFlight} in flight` : ""} × ${bodyBytes} B: ${result.opsPerSec.toFixed(0)}/s` +
                (result.errors > 0 ? ` (${result.errors} errors: ${result.firstError})` : ""),
            );
          } catch (err) {
            failures.set(target.name, `failed: ${describe(err)}`);
          }
        }
      }
    }
    return { points, failures };
  } finally {
    const all = [...clients.values()].flat();
    await Promise.all(all.map((client) => client.close().catch(() => undefined)));
  }
}

export const describe = (err: unknown) =>
  (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";

/** Publish→deliver latency at the fixed offered rate, over 4 publishing connections. */
export async function publishLatency(
  target: Target,
  params: Params,
  bodyBytes: number,
): Promise<LatencyResult> {
  const subject = freshSubject(subjectPrefix(target));
  await target.prepare(subject);
  const publishers = await Promise.all(Array.from({ length: 4 }, () => target.connect()));
  const subscriber = await target.subscriber();
  try {
    const result = await openLoopLatency(
      {
        rate: params.latencyRate,
        durationMs: params.latencyMs,
        bodyBytes,
        maxInFlight: 10_000,
        drainMs: 5_000,
      },
      (body, seq) =>
        publishers[seq % publishers.length]?.publish(subject, body) ?? Promise.resolve(),
      (deliver) => subscriber.subscribe(subject, deliver),
    );
    console.error(
      `  ${target.name}: latency at ${params.latencyRate}/s: p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`,
    );
    return result;
  } finally {
    await subscriber.close();
    await Promise.all(publishers.map((publisher) => publisher.close()));
    await target.release(subject);
  }
}

/**
 * One publisher (one connection, `fanOutWindow` publishes in flight) to
 * `fanOutSubscribers` live subscribers of one subject: deliveries per second
 * from the first publish to the last delivery.
 */
export async function fanOut(
  target: Target,
  params: Params,
  bodyBytes: number,
): Promise<FanOutResult> {
  const subject = freshSubject(subjectPrefix(target));
  await target.prepare(subject);
  const connections = await Promise.all(
    Array.from({ length: params.fanOutConnections }, () => target.subscriber()),
  );
  const publisher = await target.connect();
  const total = params.fanOutSubscribers * params.fanOutMessages;
  let deliveries = 0;
  let finished = () => {};
  const done = new Promise<void>((resolve) => (finished = resolve));
  try {
    const onMessage = () => {
      if (++deliveries === total) finished();
    };
    // Each connection registers its share one after another; connections in parallel.
    await Promise.all(
      connections.map(async (connection, c) => {
        for (let i = c; i < params.fanOutSubscribers; i += connections.length)
          await connection.subscribe(subject, onMessage, { fanOut: true });
      }),
    );
    const started = performance.now();
    let next = 0;
    const body = sequencedBody(0, bodyBytes);
    await Promise.all(
      Array.from({ length: params.fanOutWindow }, async () => {
        while (next < params.fanOutMessages) {
          next++;
          await publisher.publish(subject, body);
        }
      }),
    );
    await Promise.race([done, sleep(params.fanOutTimeoutMs)]);
    const durationMs = performance.now() - started;
    const result: FanOutResult = {
      subscribers: params.fanOutSubscribers,
      messages: params.fanOutMessages,
      deliveries,
      durationMs,
      deliveriesPerSec: (deliveries * 1000) / durationMs,
      complete: deliveries === total,
    };
    console.error(
      `  ${target.name}: fan-out to ${params.fanOutSubscribers}: ${result.deliveriesPerSec.toFixed(0)} deliveries/s${result.complete ? "" : " (incomplete)"}`,
    );
    return result;
  } finally {
    await publisher.close();
    await Promise.all(connections.map((connection) => connection.close()));
    await target.release(subject);
  }
}

/** Fetch of stored ids (1..stored, at random) by `clients` connections. */
export async function fetchThroughput(
  connect: () => Promise<GrpcClient>,
  params: Params,
  options: { clients: number; bodyBytes: number; stored: number },
): Promise<ClosedLoopResult & { clients: number; bodyBytes: number }> {
  const subject = freshSubject("fetch");
  const clients = await Promise.all(Array.from({ length: options.clients }, () => connect()));
  try {
    const body = Buffer.alloc(options.bodyBytes, 0x61);
    let stored = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (stored < options.stored) {
          stored++;
          await client.publish(subject, body);
        }
      }),
    );
    const result = await closedLoop(
      clients.map(
        (client) => () => client.fetch(subject, 1 + Math.floor(Math.random() * options.stored)),
      ),
      params,
    );
    console.error(`  fetch ${options.clients} clients: ${result.opsPerSec.toFixed(0)}/s`);
    return { clients: options.clients, bodyBytes: options.bodyBytes, ...result };
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

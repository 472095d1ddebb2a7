/**
 * One broker pod on one and on two workers (docs/architecture.md#workers): unary Publish by ghz
 * to 64 subjects on the memory store, each configuration a fresh process, in turns over rounds.
 * Two workers are driven twice: through the shared client port, where a call reaching the worker
 * that does not own its subject is forwarded, and as routing clients are, each ghz at the worker
 * owning its subjects. Server CPU is the whole pod's: primary and workers.
 */
import { workerMemberName } from "../../contract/ports.ts";
import { rendezvousOwner } from "../../broker/cluster/hrw.ts";
import { freePortRange } from "../../testing/free-port.ts";
import type { TestEnv } from "../../testing/test-env.ts";
import { describe, freshSubject } from "../load/scenarios.ts";
import type { IndependentSection } from "../report/schema.ts";
import { startHerald } from "../targets/herald.ts";
import { ghzBinary } from "./build.ts";
import { runGhz } from "./ghz.ts";

type Attempt = IndependentSection["publish"][number];

export interface WorkerParams {
  readonly clients: number;
  readonly bodyBytes: number;
  readonly durationMs: number;
  readonly rounds: number;
}

const subjectCount = 64;
const podName = "bench";

/** Publishes over `runs` ghz processes at once, one per address, and sums what they did. */
async function publishPoint(
  target: string,
  clients: number,
  bodyBytes: number,
  cpuMs: () => number,
  runs: readonly { address: string; subjects: readonly string[]; clients: number }[],
  durationMs: number,
): Promise<Attempt> {
  const binary = await ghzBinary();
  const body = Buffer.alloc(bodyBytes, 0x61).toString("base64");
  try {
    const before = cpuMs();
    const results = await Promise.all(
      runs.map((run) =>
        runGhz(binary, {
          call: "Publish",
          address: run.address,
          data: run.subjects.map((subject) => ({ subject, body })),
          clients: run.clients,
          durationMs,
        }),
      ),
    );
    const serverMs = cpuMs() - before;
    const ops = results.reduce((sum, result) => sum + result.ops, 0);
    const longest = Math.max(...results.map((result) => result.durationMs));
    const clientCpuUs = results.reduce(
      (sum, result) => sum + result.clientCpuUsPerOp * result.ops,
      0,
    );
    const point = {
      target,
      clients,
      bodyBytes,
      ops,
      durationMs: longest,
      opsPerSec: results.reduce((sum, result) => sum + result.opsPerSec, 0),
      errors: results.reduce((sum, result) => sum + result.errors, 0),
      cutAtEnd: results.reduce((sum, result) => sum + result.cutAtEnd, 0),
      clientCpuUsPerOp: ops > 0 ? clientCpuUs / ops : 0,
      ...(Number.isFinite(serverMs) && ops > 0
        ? { serverCpuUsPerOp: (serverMs * 1000) / ops }
        : {}),
    };
    console.error(
      `  ${target}: ${point.opsPerSec.toFixed(0)}/s, server ${point.serverCpuUsPerOp?.toFixed(1) ?? "?"} µs/op`,
    );
    return point;
  } catch (err) {
    console.error(`  ${target} failed: ${describe(err)}`);
    return { target, clients, status: `failed: ${describe(err)}` };
  }
}

/** A broker pod of `workers` workers on loopback, measured, then stopped. */
async function measurePod(env: TestEnv, workers: number, params: WorkerParams): Promise<Attempt[]> {
  const grpcBase = await freePortRange(workers);
  const clusterBase = await freePortRange(workers);
  const herald = await startHerald("memory", env, {
    name: `memory, ${workers} worker${workers === 1 ? "" : "s"}`,
    extraEnv: {
      POD_NAME: podName,
      HERALD_WORKERS: String(workers),
      HERALD_WORKER_GRPC_ADDR: `127.0.0.1:${grpcBase}`,
      HERALD_WORKER_CLUSTER_ADDR: `127.0.0.1:${clusterBase}`,
    },
  });
  try {
    const prefix = freshSubject(`workers${workers}`);
    const subjects = Array.from({ length: subjectCount }, (_, index) => `${prefix}.${index}`);
    const cpu = () => herald.serverCpuMs();
    const { clients, bodyBytes, durationMs } = params;
    const shared = await publishPoint(
      herald.name,
      clients,
      bodyBytes,
      cpu,
      [{ address: herald.address, subjects, clients }],
      durationMs,
    );
    if (workers === 1) return [shared];
    // The membership a pod without one serves: its workers, named and numbered as below.
    const members = Array.from({ length: workers }, (_, index) => ({
      name: workerMemberName(podName, index),
      address: `127.0.0.1:${grpcBase + index}`,
    }));
    const routed = members.map((member) => ({
      address: member.address,
      subjects: subjects.filter((subject) => rendezvousOwner(subject, members) === member),
      clients: Math.max(1, Math.round(clients / workers)),
    }));
    const atOwners = await publishPoint(
      `${herald.name}, clients at owners`,
      clients,
      bodyBytes,
      cpu,
      routed,
      durationMs,
    );
    return [shared, atOwners];
  } finally {
    await herald.stop();
  }
}

/** Every configuration once per round, in turns, so load drift on the machine touches each alike. */
export async function workerFigures(env: TestEnv, params: WorkerParams): Promise<Attempt[]> {
  const points: Attempt[] = [];
  for (let round = 0; round < params.rounds; round += 1) {
    for (const workers of [1, 2]) points.push(...(await measurePod(env, workers, params)));
  }
  return points;
}

/**
 * `make bench` / `npm run bench`: every figure bench/README.md reports, side by side in
 * one run on loopback, written to bench/results/<date>-<sha>.json and printed
 * as a table. QUICK=1 (or --quick) runs the short version.
 *
 * Order: test environment up; servers started (ceiling, Herald on each store,
 * nats-server, rabbitmq-server); the publish matrix with the targets taking
 * turns at each point; the ceiling's server streams; latency, fan-out and
 * fetch target by target; then, with those servers stopped, the storage
 * ceiling, the broker cluster and the operator. Every server started here is
 * stopped here (also on Ctrl-C or a crash: see targets/process.ts).
 */
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { join, relative } from "node:path";
import * as prettier from "prettier";
import { envUp } from "../e2e/env/cli.ts";
import type { TestEnv } from "../testing/test-env.ts";
import {
  describe,
  fanOut,
  fetchThroughput,
  publishLatency,
  publishMatrix,
  type MatrixEntry,
  type Params,
  type PublishPoint,
} from "./load/scenarios.ts";
import {
  consumeThroughput,
  redeliveryLatency,
  type ConsumePoint,
  type GroupParams,
} from "./load/groups.ts";
import { ghzBinary, latencyBinary, natsCliBinary } from "./clients/build.ts";
import {
  independentFigures,
  type GrpcServer,
  type IndependentParams,
} from "./clients/scenarios.ts";
import { operatorBench } from "./operator/operator.ts";
import { memoryStoreHeap } from "./store/memory-heap.ts";
import {
  BenchResultSchema,
  type BenchResult,
  type GroupsSection,
  type OperatorSection,
  type TargetResult,
} from "./report/schema.ts";
import { computeRatios, renderReport } from "./report/table.ts";
import { startCeiling, type CeilingTarget } from "./targets/ceiling.ts";
import { clusterBench } from "./targets/cluster.ts";
import { workerFigures } from "./clients/workers.ts";
import { gatewayBench } from "./load/gateway.ts";
import { ensureDebianPackage } from "./targets/debian.ts";
import {
  heraldGroups,
  keyedPublishTarget,
  publishStreamTarget,
  startHerald,
  type HeraldTarget,
  type StoreKind,
} from "./targets/herald.ts";
import { natsServerPath, startNats, type NatsServer } from "./targets/nats.ts";
import { rawPostgresInserts } from "./targets/postgres-raw.ts";
import { rabbitmqServerPath, startRabbitmq, type RabbitmqServer } from "./targets/rabbitmq.ts";
import { secureHeraldOptions } from "./targets/secure.ts";
import type { GroupTarget, Target } from "./targets/target.ts";

const quick = process.env.QUICK === "1" || process.argv.includes("--quick");
const root = join(import.meta.dirname, "..");
const workDir = join(root, ".herald", "bench");

const params: Params &
  GroupParams & {
    fetchClients: number;
    fetchStored: number;
    latencyBodyBytes: number;
    operatorLatencySamples: number;
    operatorFleet: number;
    operatorSteadyMs: number;
    streamInFlight: number;
  } = quick
  ? {
      warmupMs: 400,
      durationMs: 1_200,
      maxOps: 200_000,
      clients: [1, 16, 64],
      bodies: [128, 4096],
      latencyRate: Number(process.env.BENCH_LATENCY_RATE ?? 500),
      latencyMs: 3_000,
      latencyBodyBytes: 128,
      fanOutSubscribers: 1_000,
      fanOutConnections: 8,
      fanOutMessages: 100,
      fanOutWindow: 8,
      fanOutTimeoutMs: 30_000,
      fetchClients: 16,
      fetchStored: 1_000,
      operatorLatencySamples: 20,
      operatorFleet: 50,
      operatorSteadyMs: 20_000,
      streamInFlight: 16,
      groupMembers: [1, 4, 16],
      groupMessages: 10_000,
      groupInFlight: 64,
      groupTimeoutMs: 30_000,
      redeliverySamples: 5,
    }
  : {
      warmupMs: 1_500,
      durationMs: 6_000,
      maxOps: 2_000_000,
      clients: [1, 16, 64],
      bodies: [128, 4096],
      latencyRate: Number(process.env.BENCH_LATENCY_RATE ?? 1_000),
      latencyMs: 20_000,
      latencyBodyBytes: 128,
      fanOutSubscribers: 1_000,
      fanOutConnections: 8,
      fanOutMessages: 1_000,
      fanOutWindow: 8,
      fanOutTimeoutMs: 120_000,
      fetchClients: 16,
      fetchStored: 10_000,
      operatorLatencySamples: 100,
      operatorFleet: 500,
      operatorSteadyMs: 60_000,
      streamInFlight: 16,
      groupMembers: [1, 4, 16],
      groupMessages: 50_000,
      groupInFlight: 64,
      groupTimeoutMs: 60_000,
      redeliverySamples: 20,
    };

/**
 * The independent load generators (bench/clients). Their latency runs at 1,000/s in QUICK too:
 * the Go client costs far less CPU than the Node one, which QUICK keeps at 500/s.
 */
const independentParams: IndependentParams = {
  clients: [16, 64],
  bodyBytes: params.latencyBodyBytes,
  durationMs: quick ? 2_000 : 6_000,
  fetchStored: params.fetchStored,
  natsCoreMessages: quick ? 2_000_000 : 10_000_000,
  natsJetStreamMessages: quick ? 40_000 : 150_000,
  natsTimeoutMs: quick ? 60_000 : 180_000,
  latencyRate: Number(process.env.BENCH_LATENCY_RATE ?? 1_000),
  latencyMs: quick ? 5_000 : 20_000,
};

/** Stores whose broker is also measured through PublishStream. */
const streamStores: readonly StoreKind[] = ["memory", "postgres"];
/**
 * Peers also measured with PublishStream's window (params.streamInFlight acks awaited per
 * connection): JetStream's async publish and RabbitMQ's pipelined publisher confirms.
 */
const pipelinedPeers = ["jetstream", "rabbitmq"] as const;

const loadAverage: BenchResult["machine"]["loadAverage"] = [];
const section = (name: string) => {
  loadAverage.push({ at: name, load: loadavg().map((value) => Number(value.toFixed(2))) });
  console.error(`bench: ${name} (load average ${loadavg()[0]?.toFixed(2)})`);
};

const git = (...args: string[]) =>
  execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();

/** Runs `work`; a failure becomes a `failed: …` status instead of ending the run. */
async function attempt<T>(what: string, work: () => Promise<T>): Promise<T | { status: string }> {
  try {
    return await work();
  } catch (err) {
    console.error(`bench: ${what} failed: ${describe(err)}`);
    return { status: `failed: ${describe(err)}` };
  }
}

const durability: Record<string, string> = {
  memory: "none: the memory store counts as durable at once",
  postgres: "committed in PostgreSQL (fsync on, synchronous_commit on), group commit",
  cassandra: "written to Cassandra (commitlog_sync periodic, the default), group commit",
  nats: "none: core NATS; acknowledged by a flush (the server processed it)",
  jetstream: "JetStream file store ack (fsync on an interval, 2 min by default)",
  rabbitmq: "publisher confirm of a persistent message in a durable classic queue",
};

type Up<T> = T | { status: string };
const isUp = <T extends object>(value: Up<T>): value is T =>
  !("status" in value && Object.keys(value).length === 1);

interface Servers {
  readonly ceiling: CeilingTarget;
  readonly heralds: ReadonlyMap<StoreKind, Up<HeraldTarget>>;
  /** The memory broker with TLS and a bearer token on every call. */
  readonly secure: Up<HeraldTarget>;
  /** The memory broker with TLS only: what TLS costs apart from authentication and authorization. */
  readonly tlsOnly: Up<HeraldTarget>;
  readonly peers: ReadonlyMap<string, Up<Target>>;
  readonly nats: Up<NatsServer>;
  /** Consumer groups: Herald memory and PostgreSQL, RabbitMQ, JetStream. */
  readonly groups: ReadonlyMap<string, Up<GroupTarget>>;
  stop(): Promise<void>;
}

async function startServers(env: TestEnv): Promise<Servers> {
  const nats = await ensureDebianPackage("nats-server", natsServerPath);
  const rabbit = await ensureDebianPackage("rabbitmq-server", rabbitmqServerPath);
  const ceiling = await startCeiling();
  const heralds = new Map<StoreKind, Up<HeraldTarget>>();
  for (const store of ["memory", "postgres", "cassandra"] as const)
    heralds.set(store, await attempt(`herald ${store}`, () => startHerald(store, env)));
  const secure = await attempt("herald memory tls+auth", () =>
    startHerald("memory", env, { name: "memory tls+auth", security: secureHeraldOptions(true) }),
  );
  const tlsOnly = await attempt("herald memory tls", () =>
    startHerald("memory", env, { name: "memory tls", security: secureHeraldOptions(false) }),
  );
  const natsServer: Up<NatsServer> =
    "path" in nats
      ? await attempt("nats-server", () => startNats(join(workDir, "nats")))
      : { status: `not available: ${nats.unavailable}` };
  const rabbitmq: Up<RabbitmqServer> =
    "path" in rabbit
      ? await attempt("rabbitmq-server", () => startRabbitmq(join(workDir, "rabbitmq")))
      : { status: `not available: ${rabbit.unavailable}` };
  return {
    ceiling,
    heralds,
    secure,
    tlsOnly,
    nats: natsServer,
    peers: new Map<string, Up<Target>>([
      ["nats", isUp(natsServer) ? natsServer.core : natsServer],
      ["jetstream", isUp(natsServer) ? natsServer.jetstream : natsServer],
      ["rabbitmq", rabbitmq],
    ]),
    groups: new Map<string, Up<GroupTarget>>([
      ...streamStores.map((store): [string, Up<GroupTarget>] => {
        const herald = heralds.get(store) ?? { status: "not started" };
        return [store, isUp(herald) ? heraldGroups(herald) : herald];
      }),
      ["rabbitmq", isUp(rabbitmq) ? rabbitmq.groups : rabbitmq],
      ["jetstream", isUp(natsServer) ? natsServer.jetstreamGroups : natsServer],
    ]),
    async stop() {
      await ceiling.stop();
      for (const herald of heralds.values()) if (isUp(herald)) await herald.stop();
      if (isUp(secure)) await secure.stop();
      if (isUp(tlsOnly)) await tlsOnly.stop();
      if (isUp(natsServer)) await natsServer.stop();
      if (isUp(rabbitmq)) await rabbitmq.stop();
    },
  };
}

/** Average messages per store write over the matrix, and over its points at the most clients. */
function batchSummary(
  publish: readonly PublishPoint[],
  maxClients: number,
): TargetResult["avgBatchSize"] {
  const average = (points: readonly PublishPoint[]) => {
    const sized = points.filter((point) => point.avgBatchSize !== undefined);
    const writes = sized.reduce((sum, point) => sum + point.ops / (point.avgBatchSize ?? 1), 0);
    return writes > 0 ? sized.reduce((sum, point) => sum + point.ops, 0) / writes : NaN;
  };
  const overall = average(publish);
  return Number.isFinite(overall)
    ? { overall, atMaxClients: average(publish.filter((point) => point.clients === maxClients)) }
    : { status: "not available: no herald_batch_messages on /metrics" };
}

async function measureTarget(
  role: "herald" | "peer",
  name: string,
  target: Up<Target>,
  matrix: Awaited<ReturnType<typeof publishMatrix>>,
  herald?: HeraldTarget,
): Promise<TargetResult> {
  const publish = matrix.points.get(name) ?? [];
  const failure = isUp(target) ? matrix.failures.get(name) : target.status;
  const base = { name, role, durability: durability[name] ?? "", publish };
  if (failure !== undefined || !isUp(target)) {
    const status = { status: failure ?? "not available" };
    return {
      ...base,
      version: "",
      ...status,
      latency: status,
      fanOut: status,
      fetch: status,
      avgBatchSize: status,
    };
  }
  section(`${name}: latency, fan-out, fetch`);
  const bodyBytes = params.latencyBodyBytes;
  const latency = await attempt(`${name} latency`, async () => ({
    bodyBytes,
    ...(await publishLatency(target, params, bodyBytes)),
  }));
  const fanOutResult =
    name === "jetstream"
      ? { status: "not measured: 1,000 JetStream consumers (core NATS covers NATS fan-out)" }
      : await attempt(`${name} fan-out`, async () => ({
          bodyBytes,
          ...(await fanOut(target, params, bodyBytes)),
        }));
  const fetch = herald
    ? await attempt(`${name} fetch`, () =>
        fetchThroughput(() => herald.grpcClient(), params, {
          clients: params.fetchClients,
          bodyBytes,
          stored: params.fetchStored,
        }),
      )
    : { status: "n/a: no fetch by id" };
  return {
    ...base,
    version: target.version,
    status: "ok",
    latency,
    fanOut: fanOutResult,
    fetch,
    avgBatchSize: herald ? batchSummary(publish, Math.max(...params.clients)) : { status: "n/a" },
  };
}

/**
 * A column with the publish matrix only: a PublishStream column, the secure broker's, or a peer's
 * pipelined publish (their other figures are in the column of `system`: a store, or the peer).
 */
function publishOnlyResult(
  role: TargetResult["role"],
  system: string,
  target: Target,
  matrix: Awaited<ReturnType<typeof publishMatrix>>,
): TargetResult {
  const publish = matrix.points.get(target.name) ?? [];
  const publishOnly = { status: `n/a: publish only (see ${role} ${system})` };
  return {
    name: target.name,
    role,
    version: target.version,
    status: matrix.failures.get(target.name) ?? "ok",
    durability: durability[system] ?? "",
    publish,
    latency: publishOnly,
    fanOut: publishOnly,
    fetch: publishOnly,
    avgBatchSize:
      role === "herald" ? batchSummary(publish, Math.max(...params.clients)) : { status: "n/a" },
  };
}

async function measureBrokers(servers: Servers): Promise<Pick<BenchResult, "ceiling" | "targets">> {
  section("publish matrix (targets in turns)");
  const entries: MatrixEntry[] = [{ target: servers.ceiling }];
  for (const herald of servers.heralds.values())
    if (isUp(herald)) entries.push({ target: herald, batchStats: () => herald.batchStats() });
  const streams = new Map<StoreKind, HeraldTarget>();
  const keyed = new Map<StoreKind, HeraldTarget>();
  for (const store of streamStores) {
    const herald = servers.heralds.get(store);
    if (herald === undefined || !isUp(herald)) continue;
    const target = publishStreamTarget(herald);
    streams.set(store, target);
    entries.push({
      target,
      batchStats: () => herald.batchStats(),
      inFlight: params.streamInFlight,
    });
    const keyedTarget = keyedPublishTarget(herald);
    keyed.set(store, keyedTarget);
    entries.push({ target: keyedTarget, batchStats: () => herald.batchStats() });
  }
  const secure = [
    ...(isUp(servers.secure) ? [servers.secure, publishStreamTarget(servers.secure)] : []),
    ...(isUp(servers.tlsOnly) ? [servers.tlsOnly] : []),
  ];
  for (const target of secure) {
    const batchStats = () => target.batchStats();
    entries.push(
      target.name.endsWith(" stream")
        ? { target, batchStats, inFlight: params.streamInFlight }
        : { target, batchStats },
    );
  }
  for (const peer of servers.peers.values()) if (isUp(peer)) entries.push({ target: peer });
  const pipelined = new Map<string, Target>();
  for (const name of pipelinedPeers) {
    const peer = servers.peers.get(name);
    if (peer === undefined || !isUp(peer)) continue;
    const target: Target = { ...peer, name: `${name} pipelined` };
    pipelined.set(name, target);
    entries.push({ target, inFlight: params.streamInFlight });
  }
  const matrix = await publishMatrix(entries, params);

  section("ceiling: server streams (just before Herald's fan-out)");
  const serverStreams = (subscribers: number, connections: number, messages: number) =>
    attempt(`ceiling ${subscribers} streams`, async () => {
      const result = await servers.ceiling.streams({
        streams: subscribers,
        connections,
        frames: messages,
        bodyBytes: params.latencyBodyBytes,
        timeoutMs: params.fanOutTimeoutMs,
      });
      return {
        subscribers,
        messages,
        bodyBytes: params.latencyBodyBytes,
        deliveries: result.deliveries,
        durationMs: result.durationMs,
        deliveriesPerSec: result.deliveriesPerSec,
        complete: result.complete,
      };
    });
  const oneStream = await serverStreams(1, 1, params.fanOutMessages * 100);
  const fanOutStreams = await serverStreams(
    params.fanOutSubscribers,
    params.fanOutConnections,
    params.fanOutMessages,
  );
  const targets: TargetResult[] = [];
  for (const [store, herald] of servers.heralds)
    targets.push(
      await measureTarget("herald", store, herald, matrix, isUp(herald) ? herald : undefined),
    );
  for (const [store, target] of streams)
    targets.push(publishOnlyResult("herald", store, target, matrix));
  for (const [store, target] of keyed)
    targets.push(publishOnlyResult("herald", store, target, matrix));
  for (const target of secure) targets.push(publishOnlyResult("herald", "memory", target, matrix));
  for (const [name, peer] of servers.peers)
    targets.push(await measureTarget("peer", name, peer, matrix));
  for (const [name, target] of pipelined)
    targets.push(publishOnlyResult("peer", name, target, matrix));

  return {
    ceiling: {
      unary: matrix.points.get(servers.ceiling.name) ?? [],
      oneStream,
      fanOutStreams,
    },
    targets,
  };
}

/**
 * Consume-and-ack throughput with the systems taking turns at each member count (as the publish
 * matrix does), then redelivery after a disconnect system by system.
 */
async function measureGroups(servers: Servers): Promise<GroupsSection> {
  section("consumer groups (systems in turns)");
  const up = [...servers.groups].filter((entry): entry is [string, GroupTarget] => isUp(entry[1]));
  const consume = new Map<string, (ConsumePoint | { members: number; status: string })[]>(
    up.map(([name]) => [name, []]),
  );
  for (const members of params.groupMembers)
    for (const [name, target] of up) {
      const point = await attempt(`${name} consume, ${members} members`, () =>
        consumeThroughput(target, members, params),
      );
      consume.get(name)?.push({ members, ...point });
    }
  section("consumer groups: redelivery after a disconnect");
  const targets: GroupsSection["targets"] = [];
  for (const [name, target] of servers.groups) {
    if (!isUp(target)) {
      targets.push({ name, consume: [], redelivery: target });
      continue;
    }
    const redelivery =
      target.noRedelivery === undefined
        ? await attempt(`${name} redelivery`, () => redeliveryLatency(target, params))
        : { status: target.noRedelivery };
    targets.push({ name, consume: consume.get(name) ?? [], redelivery });
  }
  return { messages: params.groupMessages, inFlight: params.groupInFlight, targets };
}

/**
 * ghz against the ceiling and Herald (memory, PostgreSQL) in turns, `nats bench` against the
 * NATS peer, and the Go latency client against Herald memory and core NATS.
 */
function measureIndependent(servers: Servers, env: TestEnv): Promise<BenchResult["independent"]> {
  section("independent load generators: ghz, nats bench, Go latency client");
  const grpcServers: GrpcServer[] = [
    {
      name: servers.ceiling.name,
      address: servers.ceiling.address,
      serverCpuMs: () => servers.ceiling.serverCpuMs(),
    },
  ];
  for (const store of streamStores) {
    const herald = servers.heralds.get(store);
    if (herald !== undefined && isUp(herald))
      grpcServers.push({
        name: herald.name,
        address: herald.address,
        serverCpuMs: () => herald.serverCpuMs(),
        herald,
      });
  }
  const nats = isUp(servers.nats) ? { url: servers.nats.url, core: servers.nats.core } : undefined;
  return attempt("independent clients", () =>
    independentFigures(grpcServers, nats, independentParams, () => {
      section("one pod on 1 and 2 workers");
      return workerFigures(env, {
        clients: Math.max(...independentParams.clients),
        bodyBytes: independentParams.bodyBytes,
        durationMs: independentParams.durationMs,
        rounds: 3,
      });
    }),
  );
}

async function main(): Promise<void> {
  const started = new Date();
  const commit = git("rev-parse", "--short=12", "HEAD");
  const dirty = git("status", "--porcelain", "--untracked-files=no") !== "";
  section("start");
  const env = await envUp();

  // Before any server starts, so a first build's compiling measures nothing.
  section("building the independent load generators (cached by version)");
  const generators = await attempt("building load generators", async () => ({
    ghz: await ghzBinary(),
    natsCli: await natsCliBinary(),
    latency: await latencyBinary(),
  }));

  section("starting servers");
  const servers = await startServers(env);
  let brokers: Pick<BenchResult, "ceiling" | "targets">;
  let groups: BenchResult["groups"];
  let independent: BenchResult["independent"];
  try {
    brokers = await measureBrokers(servers);
    groups = await attempt("consumer groups", () => measureGroups(servers));
    independent = isUp(generators)
      ? await measureIndependent(servers, env)
      : { status: `not available: ${generators.status}` };
  } finally {
    section("stopping servers");
    await servers.stop();
  }

  section("storage ceiling: raw PostgreSQL inserts");
  const loop = { warmupMs: params.warmupMs, durationMs: params.durationMs, maxOps: params.maxOps };
  const postgres = await attempt("raw inserts", () =>
    rawPostgresInserts(
      env.postgres.url,
      [
        { method: "unnest", batchRows: 64, bodyBytes: 128 },
        ...params.bodies.flatMap((bodyBytes) => [
          { method: "unnest" as const, batchRows: 1000, bodyBytes },
          { method: "copy" as const, batchRows: 1000, bodyBytes },
        ]),
      ],
      loop,
    ),
  );

  section("web gateway: SSE fan-out, POST publish against gRPC publish");
  const gateway = await attempt("web gateway", () =>
    gatewayBench(env, {
      ...loop,
      sseClients: params.fanOutSubscribers,
      sseMessages: params.fanOutMessages,
      sseWindow: params.fanOutWindow,
      sseTimeoutMs: params.fanOutTimeoutMs,
      publishClients: params.clients.filter((clients) => clients > 1),
      bodyBytes: params.latencyBodyBytes,
    }),
  );

  section("cluster: 1 and 3 brokers on PostgreSQL");
  const cluster = await attempt("cluster", () =>
    clusterBench(env, { clients: Math.max(...params.clients), bodyBytes: 128, loop }),
  );

  section("operator");
  const operator: Up<OperatorSection> = await attempt("operator", async () => ({
    ...(await operatorBench(env, {
      latencySamples: params.operatorLatencySamples,
      fleet: params.operatorFleet,
      steadyMs: params.operatorSteadyMs,
      workers: 4,
    })),
    readyMeans:
      "no kubelet runs: ready = every child object created and the status for the CR's generation written with Degraded=False",
  }));
  section("memory store heap");
  const memoryHeap = await attempt("memory store heap", () =>
    memoryStoreHeap([100_000, 1_000_000], params.latencyBodyBytes),
  );
  section("end");

  const notes = [
    "Loopback only (127.0.0.1). Load generator, servers and databases share this machine's cores.",
    "Load averages are recorded per section (the bench's own servers and load generator included): compare them before comparing runs.",
    "The publish matrix runs the targets in turns at each point, so drifting background load hits them alike.",
    "Each publish point uses one fresh subject (RabbitMQ: exchange + durable queue; JetStream: a subject of one file stream) shared by its clients.",
    'Latency is recorded against each message\'s intended send time (coordinated-omission-correct); "*" marks a run with messages undelivered by the end of the drain (recorded at that time).',
    ...(quick
      ? [
          `QUICK: ${params.durationMs / 1000} s per publish point, latency at ${params.latencyRate}/s, fan-out of ${params.fanOutMessages} messages, operator over ${params.operatorLatencySamples} and ${params.operatorFleet} CRs (full run: 100 and 500).`,
        ]
      : []),
  ];
  const partial: Omit<BenchResult, "ratios"> = {
    schemaVersion: 1,
    quick,
    startedAt: started.toISOString(),
    durationS: (Date.now() - started.getTime()) / 1000,
    commit,
    dirty,
    heraldBuild: [...servers.heralds.values()].find(isUp)?.build ?? "none",
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? "unknown",
      memGiB: totalmem() / 2 ** 30,
      os: `${type()} ${release()}`,
      node: process.versions.node,
      loadAverage,
    },
    notes,
    parameters: {
      ...params,
      clients: [...params.clients],
      bodies: [...params.bodies],
      groupMembers: [...params.groupMembers],
      independentClients: [...independentParams.clients],
      independentDurationMs: independentParams.durationMs,
      independentLatencyRate: independentParams.latencyRate,
      independentLatencyMs: independentParams.latencyMs,
      natsCoreMessages: independentParams.natsCoreMessages,
      natsJetStreamMessages: independentParams.natsJetStreamMessages,
    },
    ...brokers,
    storageCeiling: { postgres },
    operator,
    cluster,
    gateway,
    groups,
    independent,
    memoryStoreHeap: memoryHeap,
  };
  const result = BenchResultSchema.parse({
    ...partial,
    ratios: computeRatios({ ...partial, ratios: [] }),
  });
  await mkdir(join(root, "bench", "results"), { recursive: true });
  const file = join(
    root,
    "bench",
    "results",
    `${started.toISOString().slice(0, 10)}-${commit}.json`,
  );
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  const report = renderReport(result);
  console.log(report);
  console.log(`Results: ${file}`);
  await updateReadme(report, file);
}

/**
 * Puts the table between the markers of bench/README.md, so it always shows the latest run,
 * formatted as `make lint` expects.
 */
async function updateReadme(report: string, file: string): Promise<void> {
  const readme = join(root, "bench", "README.md");
  const text = await readFile(readme, "utf8").catch(() => undefined);
  const start = "<!-- bench:table:start -->";
  const end = "<!-- bench:table:end -->";
  if (text === undefined || !text.includes(start) || !text.includes(end)) return;
  const body = `${report}\nFrom \`${relative(root, file)}\`.\n`;
  const updated = `${text.slice(0, text.indexOf(start) + start.length)}\n${body}${text.slice(text.indexOf(end))}`;
  const options = (await prettier.resolveConfig(readme)) ?? {};
  await writeFile(readme, await prettier.format(updated, { ...options, filepath: readme }));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    process.exit(1);
  },
);

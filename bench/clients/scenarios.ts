/**
 * The measurements made with the independent load generators (build.ts): unary Publish and Fetch
 * by ghz against the ceiling and Herald in turns at each point, `nats bench` against the NATS
 * peer, and publish→deliver latency by the Go open-loop client against Herald and core NATS.
 * Each point records the generator's own CPU per operation and the server's.
 */
import { describe, freshSubject } from "../load/scenarios.ts";
import type { HeraldTarget } from "../targets/herald.ts";
import type { Target } from "../targets/target.ts";
import type { IndependentPoint, IndependentSection } from "../report/schema.ts";
import {
  GHZ_VERSION,
  NATSCLI_VERSION,
  ghzBinary,
  latencyBinary,
  latencySourceHash,
  natsCliBinary,
} from "./build.ts";
import { runGhz, type GhzRun } from "./ghz.ts";
import { runGoLatency } from "./latency-client.ts";
import { openRuntimeWindow } from "./runtime-window.ts";
import { runNatsBench, type NatsBenchKind } from "./nats-bench.ts";

export interface IndependentParams {
  readonly clients: readonly number[];
  readonly bodyBytes: number;
  readonly durationMs: number;
  /** Messages stored for Fetch (Herald) and read per client (JetStream gets). */
  readonly fetchStored: number;
  /** `nats bench` message counts: core publishes, JetStream publishes (all clients together). */
  readonly natsCoreMessages: number;
  readonly natsJetStreamMessages: number;
  readonly natsTimeoutMs: number;
  readonly latencyRate: number;
  readonly latencyMs: number;
}

/** A gRPC server ghz can call: the ceiling or a Herald broker. */
export interface GrpcServer {
  readonly name: string;
  readonly address: string;
  readonly serverCpuMs: () => number;
  /** Herald: stores messages for Fetch to find. */
  readonly herald?: HeraldTarget;
}

export interface NatsPeer {
  readonly url: string;
  readonly core: Target;
}

type Attempt = IndependentSection["publish"][number];

/** Runs `work`, returning the point with the server's CPU per operation, or why it failed. */
async function measured(
  target: string,
  clients: number,
  cpu: () => number,
  work: () => Promise<Omit<IndependentPoint, "target" | "clients" | "serverCpuUsPerOp">>,
): Promise<Attempt> {
  try {
    const before = cpu();
    const point = await work();
    const serverMs = cpu() - before;
    console.error(
      `  ${target} ${clients} clients: ${point.opsPerSec.toFixed(0)}/s, client ${point.clientCpuUsPerOp.toFixed(1)} µs/op`,
    );
    return {
      target,
      clients,
      ...point,
      ...(Number.isFinite(serverMs) && point.ops > 0
        ? { serverCpuUsPerOp: (serverMs * 1000) / point.ops }
        : {}),
    };
  } catch (err) {
    console.error(`  ${target} ${clients} clients failed: ${describe(err)}`);
    return { target, clients, status: `failed: ${describe(err)}` };
  }
}

async function ghzPoint(
  binary: string,
  server: GrpcServer,
  run: Omit<GhzRun, "address">,
  bodyBytes: number,
): Promise<Attempt> {
  return measured(server.name, run.clients, server.serverCpuMs, async () => {
    const result = await runGhz(binary, { ...run, address: server.address });
    return {
      bodyBytes,
      ops: result.ops,
      durationMs: result.durationMs,
      opsPerSec: result.opsPerSec,
      errors: result.errors,
      cutAtEnd: result.cutAtEnd,
      ...(result.firstError === undefined ? {} : { firstError: result.firstError }),
      ...(result.p50Ms === undefined ? {} : { p50Ms: result.p50Ms }),
      ...(result.p99Ms === undefined ? {} : { p99Ms: result.p99Ms }),
      clientCpuUsPerOp: result.clientCpuUsPerOp,
    };
  });
}

/** A subject holding `count` messages of `bodyBytes`, published through Herald's gRPC client. */
async function storedSubject(
  herald: HeraldTarget,
  count: number,
  bodyBytes: number,
): Promise<string> {
  const subject = freshSubject(`ghzfetch${herald.name.replace(/[^a-z0-9]/gi, "")}`);
  const clients = await Promise.all(Array.from({ length: 16 }, () => herald.grpcClient()));
  try {
    const body = Buffer.alloc(bodyBytes, 0x61);
    let next = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (next < count) {
          next++;
          await client.publish(subject, body);
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
  return subject;
}

/**
 * Up to 512 ids spread over 1..stored by a prime stride: ghz sends them in turn, each call a
 * stored message as far from the last as the stride puts it.
 */
function fetchIds(stored: number): number[] {
  return Array.from({ length: Math.min(512, stored) }, (_, i) => 1 + ((i * 7919) % stored));
}

async function ghzFigures(
  servers: readonly GrpcServer[],
  params: IndependentParams,
): Promise<Pick<IndependentSection, "publish" | "fetch">> {
  const binary = await ghzBinary();
  const body = Buffer.alloc(params.bodyBytes, 0x61).toString("base64");
  const publish: Attempt[] = [];
  for (const clients of params.clients)
    for (const server of servers) {
      const subject = freshSubject(`ghz${server.name.replace(/[^a-z0-9]/gi, "")}`);
      publish.push(
        await ghzPoint(
          binary,
          server,
          { call: "Publish", data: { subject, body }, clients, durationMs: params.durationMs },
          params.bodyBytes,
        ),
      );
    }
  const fetchSubjects = new Map<string, string>();
  for (const server of servers)
    fetchSubjects.set(
      server.name,
      server.herald
        ? await storedSubject(server.herald, params.fetchStored, params.bodyBytes)
        : "ceiling",
    );
  const fetch: Attempt[] = [];
  for (const clients of params.clients)
    for (const server of servers) {
      const subject = fetchSubjects.get(server.name) ?? "";
      const data = fetchIds(params.fetchStored).map((id) => ({ subject, id }));
      fetch.push(
        await ghzPoint(
          binary,
          server,
          { call: "Fetch", data, clients, durationMs: params.durationMs },
          params.bodyBytes,
        ),
      );
    }
  return { publish, fetch };
}

const natsLabels: Record<NatsBenchKind, string> = {
  "core pub": "nats core pub",
  "js pub sync": "jetstream pub sync",
  "js get sync": "jetstream get sync",
};

async function natsFigures(peer: NatsPeer, params: IndependentParams): Promise<Attempt[]> {
  const binary = await natsCliBinary();
  const stream = `HERALDBENCH${Date.now().toString(36).toUpperCase()}`;
  const points: Attempt[] = [];
  const point = (kind: NatsBenchKind, clients: number, messages: number) =>
    measured(
      natsLabels[kind],
      clients,
      () => peer.core.serverCpuMs(),
      async () => {
        const result = await runNatsBench(binary, {
          kind,
          url: peer.url,
          // Outside the bench.> subjects of the NATS target's own stream.
          subject: `natsbench.${stream.toLowerCase()}`,
          stream,
          clients,
          messages,
          bodyBytes: params.bodyBytes,
          timeoutMs: params.natsTimeoutMs,
        });
        return {
          bodyBytes: params.bodyBytes,
          ops: Math.round(result.ops),
          durationMs: result.durationMs,
          opsPerSec: result.opsPerSec,
          errors: 0,
          cutAtEnd: 0,
          clientCpuUsPerOp: result.clientCpuUsPerOp,
        };
      },
    );
  for (const clients of params.clients) {
    points.push(await point("core pub", clients, params.natsCoreMessages));
    points.push(await point("js pub sync", clients, params.natsJetStreamMessages));
  }
  // Every client reads the stream from its first message; the publishes above stored enough.
  const perClient = Math.min(params.fetchStored, params.natsJetStreamMessages);
  for (const clients of params.clients) points.push(await point("js get sync", clients, perClient));
  return points;
}

async function latencyFigures(
  herald: HeraldTarget | undefined,
  peer: NatsPeer | undefined,
  params: IndependentParams,
): Promise<IndependentSection["latency"]> {
  const binary = await latencyBinary();
  const runs = [
    ...(herald
      ? [
          {
            target: herald.name,
            mode: "herald" as const,
            address: herald.address,
            cpu: () => herald.serverCpuMs(),
            metrics: () => herald.metrics(),
          },
        ]
      : []),
    ...(peer
      ? [
          {
            target: "nats",
            mode: "nats" as const,
            address: peer.url,
            cpu: () => peer.core.serverCpuMs(),
            metrics: undefined,
          },
        ]
      : []),
  ];
  const results: IndependentSection["latency"] = [];
  for (const run of runs) {
    try {
      const runtimeWindow = run.metrics && (await openRuntimeWindow(run.metrics));
      const before = run.cpu();
      const result = await runGoLatency(binary, {
        mode: run.mode,
        address: run.address,
        subject: freshSubject(`golatency${run.mode}`),
        rate: params.latencyRate,
        durationMs: params.latencyMs,
        bodyBytes: params.bodyBytes,
      });
      const serverMs = run.cpu() - before;
      const runtime = await runtimeWindow?.();
      console.error(
        `  ${run.target} latency @ ${params.latencyRate}/s: p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`,
      );
      results.push({
        target: run.target,
        ...result,
        ...(Number.isFinite(serverMs) && result.sent > 0
          ? { serverCpuUsPerMessage: (serverMs * 1000) / result.sent }
          : {}),
        ...(runtime === undefined ? {} : { runtime }),
      });
    } catch (err) {
      results.push({ target: run.target, status: `failed: ${describe(err)}` });
    }
  }
  return results;
}

export async function independentFigures(
  servers: readonly GrpcServer[],
  peer: NatsPeer | undefined,
  params: IndependentParams,
  workers: () => Promise<IndependentSection["publish"]>,
): Promise<IndependentSection> {
  const memory = servers.find((server) => server.name === "memory")?.herald;
  const { publish, fetch } = await ghzFigures(servers, params);
  return {
    generators: {
      ghz: GHZ_VERSION,
      natsBench: `natscli ${NATSCLI_VERSION}`,
      latencyClient: await latencySourceHash(),
    },
    publish,
    fetch,
    nats: peer ? await natsFigures(peer, params) : [],
    latency: await latencyFigures(memory, peer, params),
    workers: await workers(),
  };
}

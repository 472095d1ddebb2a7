/**
 * Herald as users run it: `node dist/broker/main.js` (what `make build`
 * produces; the TypeScript source when dist is missing), as a separate
 * process on loopback, on one of its stores in a namespace of its own that is
 * dropped afterwards.
 */
import { Client as CassandraClient } from "cassandra-driver";
import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { z } from "zod";
import type { TestEnv } from "../../testing/test-env.ts";
import {
  type ClientSecurity,
  grpcClient,
  grpcStreamClient,
  grpcSubscriber,
  type GrpcClient,
} from "../load/grpc-client.ts";
import { startService } from "./process.ts";
import { brokerNodeFlags } from "../../broker/node-flags.ts";
import type { GroupTarget, Target } from "./target.ts";
import { HeraldClient } from "../../broker/client/herald-client.ts";
import { until } from "../../testing/until.ts";

export type StoreKind = "memory" | "postgres" | "cassandra";

const root = join(import.meta.dirname, "..", "..");
const distMain = join(root, "dist", "broker", "main.js");

export interface HeraldTarget extends Target {
  readonly address: string;
  /** Which build ran: dist (compiled) or source. */
  readonly build: "dist" | "source";
  /** The CA and token its clients use when it runs with TLS and authentication. */
  readonly security?: ClientSecurity;
  grpcClient(): Promise<GrpcClient>;
  /** Sum and count of herald_batch_messages from /metrics (messages per group-commit write). */
  batchStats(): Promise<{ sum: number; count: number } | undefined>;
  /** Its /metrics text ("" when it cannot be read). */
  metrics(): Promise<string>;
}

const ListeningLine = z.object({
  msg: z.string(),
  address: z.string().optional(),
  port: z.number().optional(),
});

function storeEnv(store: StoreKind, env: TestEnv, namespace: string): Record<string, string> {
  switch (store) {
    case "memory":
      return { HERALD_STORE: "memory" };
    case "postgres":
      return {
        HERALD_STORE: "postgres",
        HERALD_POSTGRES_URL: env.postgres.url,
        HERALD_POSTGRES_SCHEMA: namespace,
      };
    case "cassandra":
      return {
        HERALD_STORE: "cassandra",
        HERALD_CASSANDRA_CONTACT_POINTS: `${env.cassandra.contactPoint}:${env.cassandra.port}`,
        HERALD_CASSANDRA_LOCAL_DC: env.cassandra.localDataCenter,
        HERALD_CASSANDRA_KEYSPACE: namespace,
      };
  }
}

export async function dropNamespace(
  store: StoreKind,
  env: TestEnv,
  namespace: string,
): Promise<void> {
  if (store === "postgres") {
    const client = new pg.Client({ connectionString: env.postgres.url });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(namespace)} CASCADE`);
    } finally {
      await client.end();
    }
  } else if (store === "cassandra") {
    const client = new CassandraClient({
      contactPoints: [env.cassandra.contactPoint],
      protocolOptions: { port: env.cassandra.port },
      localDataCenter: env.cassandra.localDataCenter,
    });
    try {
      await client.execute(`DROP KEYSPACE IF EXISTS ${namespace}`);
    } finally {
      await client.shutdown();
    }
  }
}

export interface HeraldOptions {
  /** Schema / keyspace; a fresh one by default, dropped on stop. A given one is left to the caller. */
  readonly namespace?: string;
  readonly grpcPort?: number;
  readonly name?: string;
  readonly extraEnv?: Record<string, string>;
  /** With TLS and authentication: its env and what clients connect with. */
  readonly security?: { readonly env: Record<string, string>; readonly client: ClientSecurity };
}

/** V8's young generation as Dockerfile.broker sets it (broker/README.md#performance). */
export const brokerNodeOptions = "--max-semi-space-size=32";

export const newNamespace = () => `herald_bench_${Date.now().toString(36)}`;

export async function startHerald(
  store: StoreKind,
  env: TestEnv,
  options: HeraldOptions = {},
): Promise<HeraldTarget> {
  const namespace = options.namespace ?? newNamespace();
  const build = existsSync(distMain) ? "dist" : "source";
  const main = build === "dist" ? distMain : join(root, "broker", "main.ts");
  const name = options.name ?? store;
  const service = startService(`herald (${name})`, process.execPath, [...brokerNodeFlags, main], {
    env: {
      PATH: process.env.PATH ?? "",
      HERALD_GRPC_ADDR: `127.0.0.1:${options.grpcPort ?? 0}`,
      HERALD_HTTP_ADDR: "127.0.0.1:0",
      HERALD_LOG_LEVEL: "info",
      // The image's default (Dockerfile.broker), so the bench measures the broker as shipped.
      NODE_OPTIONS: brokerNodeOptions,
      ...storeEnv(store, env, namespace),
      ...options.extraEnv,
      ...options.security?.env,
    },
  });
  const stop = async () => {
    await service.stop(30_000);
    if (options.namespace !== undefined) return;
    await dropNamespace(store, env, namespace).catch((err: unknown) =>
      console.error(`bench: could not drop ${namespace}: ${String(err)}`),
    );
  };
  try {
    return await ready();
  } catch (err) {
    await stop();
    throw err;
  }

  async function ready(): Promise<HeraldTarget> {
    const logLine = async (msg: string) =>
      ListeningLine.parse(
        JSON.parse((await service.waitForLine(new RegExp(`"msg":"${msg}"`), 60_000)).input),
      );
    const { address } = await logLine("broker listening");
    const { port: httpPort } = await logLine("http listening");
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    // Ready once the store answered (its schema is created by then).
    await until(
      `herald (${name}) ready`,
      async () => (await fetch(`${httpUrl}/readyz`)).status === 200,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const grpcAddress = address ?? "";
    const security = options.security?.client;
    const metrics = () =>
      fetch(`${httpUrl}/metrics`).then(
        (r) => r.text(),
        () => "",
      );
    return {
      name,
      version: `herald ${build}`,
      address: grpcAddress,
      build,
      security,
      prepare: () => Promise.resolve(),
      release: () => Promise.resolve(),
      serverCpuMs: () => service.cpuMs(),
      connect: () => grpcClient(grpcAddress, security),
      grpcClient: () => grpcClient(grpcAddress, security),
      subscriber: () => grpcSubscriber(grpcAddress, 0, security),
      metrics,
      async batchStats() {
        const text = await metrics();
        const sum = /^herald_batch_messages_sum (\S+)$/m.exec(text)?.[1];
        const count = /^herald_batch_messages_count (\S+)$/m.exec(text)?.[1];
        return sum === undefined || count === undefined
          ? undefined
          : { sum: Number(sum), count: Number(count) };
      },
      stop,
    };
  }
}

/** The same broker with a fresh idempotency key on every unary publish: what deduplication costs. */
export function keyedPublishTarget(herald: HeraldTarget): HeraldTarget {
  return {
    ...herald,
    name: `${herald.name} keyed`,
    connect: () => grpcClient(herald.address, herald.security, { keyed: true }),
  };
}

/** The same broker driven through PublishStream: one stream per client connection. */
export function publishStreamTarget(herald: HeraldTarget): HeraldTarget {
  return {
    ...herald,
    name: `${herald.name} stream`,
    connect: () => grpcStreamClient(herald.address, herald.security),
  };
}

/** The broker's consumer groups, each member one HeraldClient (one connection) on rpc Consume. */
export function heraldGroups(herald: HeraldTarget): GroupTarget {
  return {
    name: herald.name,
    connect: () => herald.connect(),
    // A group is created by its first member; startId 1 gives it the subject from its first message.
    createGroup: () => Promise.resolve(),
    async join(group, subject, onMessage, { maxInFlight, ack }) {
      const client = new HeraldClient(herald.address);
      const abort = new AbortController();
      let joined = () => {};
      const isJoined = new Promise<void>((resolve) => (joined = resolve));
      // Never settles: a held message stays unacknowledged until the member leaves.
      const held = new Promise<void>(() => undefined);
      const consuming = client.consume(
        group,
        subject,
        (message) => {
          onMessage(message.body);
          return ack ? undefined : held;
        },
        { maxInFlight, startId: 1, onJoined: () => joined(), signal: abort.signal },
      );
      await Promise.race([isJoined, consuming]);
      return {
        async close() {
          abort.abort();
          await consuming;
          client.close();
        },
      };
    },
    // Groups stay in the broker's own namespace, dropped when it stops.
    deleteGroup: () => Promise.resolve(),
  };
}

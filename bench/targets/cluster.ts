/**
 * Broker cluster (docs/architecture.md#cluster-protocol): publish throughput of one broker against three
 * brokers with a static membership (HERALD_CLUSTER_MEMBERS) on one PostgreSQL
 * schema, and one subject published through its owner against through a
 * non-owner (which forwards every publish to the owner).
 *
 * Many subjects: client i publishes to its own subject through member i mod N,
 * so most publishes land on a non-owner and are forwarded, as through a Service.
 */
import { rendezvousOwner } from "../../broker/cluster/hrw.ts";
import type { TestEnv } from "../../testing/test-env.ts";
import { closedLoop, type ClosedLoopOptions, type ClosedLoopResult } from "../load/closed-loop.ts";
import { freshSubject } from "../load/scenarios.ts";
import { dropNamespace, newNamespace, startHerald, type HeraldTarget } from "./herald.ts";
import { freePort } from "../../testing/free-port.ts";
import type { TargetClient } from "./target.ts";

export interface ClusterResult {
  readonly store: "postgres";
  readonly clients: number;
  readonly bodyBytes: number;
  readonly oneReplica: ClosedLoopResult;
  readonly threeReplicas: ClosedLoopResult;
  readonly viaOwner: ClosedLoopResult;
  readonly viaNonOwner: ClosedLoopResult;
}

/** `count` clients, client i connected to `brokerOf(i)` and publishing to `subjectOf(i)`. */
async function publishLoop(
  count: number,
  brokerOf: (client: number) => HeraldTarget,
  subjectOf: (client: number) => string,
  body: Buffer,
  loop: ClosedLoopOptions,
): Promise<ClosedLoopResult> {
  const clients: TargetClient[] = [];
  try {
    for (let i = 0; i < count; i++) clients.push(await brokerOf(i).connect());
    return await closedLoop(
      clients.map((client, i) => () => client.publish(subjectOf(i), body)),
      loop,
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

export async function clusterBench(
  env: TestEnv,
  options: { clients: number; bodyBytes: number; loop: ClosedLoopOptions },
): Promise<ClusterResult> {
  const body = Buffer.alloc(options.bodyBytes, 0x61);
  const subjects = Array.from({ length: options.clients }, () => freshSubject("cluster"));
  const namespace = newNamespace();
  const brokers: HeraldTarget[] = [];
  try {
    const subjectOf = (i: number) => subjects[i] ?? "";
    // One broker alone.
    const single = await startHerald("postgres", env, { namespace, name: "cluster-1" });
    const oneReplica = await publishLoop(
      options.clients,
      () => single,
      subjectOf,
      body,
      options.loop,
    ).finally(() => single.stop());

    // Three members on the same schema.
    const members = await Promise.all(
      ["b0", "b1", "b2"].map(async (name) => ({ name, port: await freePort() })),
    );
    const list = members.map((member) => `${member.name}=127.0.0.1:${member.port}`).join(",");
    for (const broker of await Promise.all(
      members.map((member) =>
        startHerald("postgres", env, {
          namespace,
          name: `cluster-${member.name}`,
          grpcPort: member.port,
          extraEnv: { HERALD_CLUSTER_MEMBERS: list, POD_NAME: member.name },
        }),
      ),
    ))
      brokers.push(broker);
    const brokerAt = (i: number): HeraldTarget => {
      const broker = brokers[i % brokers.length];
      if (broker === undefined) throw new Error("no cluster member");
      return broker;
    };
    const threeReplicas = await publishLoop(
      options.clients,
      brokerAt,
      subjectOf,
      body,
      options.loop,
    );

    const subject = freshSubject("cluster.one");
    const owner = members.findIndex((m) => m === rendezvousOwner(subject, members));
    const viaOwner = await publishLoop(
      options.clients,
      () => brokerAt(owner),
      () => subject,
      body,
      options.loop,
    );
    const viaNonOwner = await publishLoop(
      options.clients,
      () => brokerAt(owner + 1),
      () => subject,
      body,
      options.loop,
    );
    return {
      store: "postgres",
      clients: options.clients,
      bodyBytes: options.bodyBytes,
      oneReplica,
      threeReplicas,
      viaOwner,
      viaNonOwner,
    };
  } finally {
    await Promise.all(brokers.map((broker) => broker.stop()));
    await dropNamespace("postgres", env, namespace).catch(() => undefined);
  }
}

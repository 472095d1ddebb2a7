/**
 * In-process broker clusters for the cluster integration suites: brokers on
 * 127.0.0.1 with ports chosen up front, each with a static membership source
 * the test rewrites as the operator rewrites the ConfigMap.
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import { type Broker, startBroker } from "../../broker.ts";
import { HeraldClient, type HeraldClientOptions } from "../../client/herald-client.ts";
import type { SecurityConfig } from "../../config.ts";
import type { MessageStore } from "../../store/message-store.ts";
import { freePort } from "../../../testing/free-port.ts";
import { defaultTestSettings } from "../../test/harness.ts";
import { rendezvousOwner } from "../hrw.ts";
import type { Member, Membership } from "../membership/membership.ts";
import { StaticMembershipSource } from "../membership/static-source.ts";

export interface ClusterMember {
  readonly member: Member;
  readonly broker: Broker;
  readonly registry: Registry;
  readonly source: StaticMembershipSource;
  client(): HeraldClient;
  stop(): Promise<void>;
}

export interface TestCluster {
  readonly members: readonly ClusterMember[];
  byName(name: string): ClusterMember;
  /** The member that owns `subject` in `membership`. */
  ownerOf(subject: string, membership: Membership): ClusterMember;
  /** Publishes a membership to every running member, as the operator's ConfigMap update does. */
  publish(membership: Membership): void;
  stop(): Promise<void>;
}

const hostPort = (address: string) => ({
  host: "127.0.0.1",
  port: Number(address.split(":")[1]),
});

export async function startTestCluster(
  size: number,
  newStore: () => MessageStore,
  options: {
    handoffTimeoutMs?: number;
    prefix?: string;
    /** Per member (its certificate differs), with the clients' options to match. */
    security?: (name: string) => SecurityConfig;
    clientOptions?: HeraldClientOptions;
    /** Calls between members on the client port, as without HERALD_CLUSTER_ADDR; default: a cluster port each. */
    sharedPort?: boolean;
  } = {},
): Promise<TestCluster> {
  const prefix = options.prefix ?? "broker";
  const members: Member[] = [];
  for (let index = 0; index < size; index++) {
    const address = `127.0.0.1:${await freePort()}`;
    members.push(
      options.sharedPort === true
        ? { name: `${prefix}-${index}`, address }
        : { name: `${prefix}-${index}`, address, clusterAddress: `127.0.0.1:${await freePort()}` },
    );
  }
  const initial: Membership = { epoch: 1, members };
  const clients: HeraldClient[] = [];
  const running = new Set<ClusterMember>();
  const started = await Promise.all(
    members.map(async (member): Promise<ClusterMember> => {
      const registry = new Registry();
      const source = new StaticMembershipSource(initial);
      const broker = await startBroker({
        settings: {
          ...defaultTestSettings,
          grpcAddress: hostPort(member.address),
          cluster: {
            self: member.name,
            handoffTimeoutMs: options.handoffTimeoutMs ?? 2000,
            forwardTimeoutMs: 5000,
            listenAddress:
              member.clusterAddress === undefined ? undefined : hostPort(member.clusterAddress),
          },
          security: options.security?.(member.name),
        },
        store: newStore(),
        logger: pino({ level: process.env.HERALD_TEST_LOG_LEVEL ?? "silent" }),
        registry,
        membership: source,
      });
      await broker.storeOpened();
      const self: ClusterMember = {
        member,
        broker,
        registry,
        source,
        client: () => {
          const client = new HeraldClient(member.address, {
            resubscribeDelayMs: 50,
            ...options.clientOptions,
          });
          clients.push(client);
          return client;
        },
        stop: async () => {
          running.delete(self);
          await broker.shutdown();
        },
      };
      running.add(self);
      return self;
    }),
  );
  const byName = (name: string) => {
    const found = started.find((candidate) => candidate.member.name === name);
    if (found === undefined) throw new Error(`no member ${name}`);
    return found;
  };
  return {
    members: started,
    byName,
    ownerOf: (subject, membership) =>
      byName(rendezvousOwner(subject, membership.members)?.name ?? ""),
    publish: (membership) => {
      for (const member of running) member.source.update(membership);
    },
    stop: async () => {
      await Promise.all([...running].map((member) => member.stop()));
      for (const client of clients.splice(0)) client.close();
    },
  };
}

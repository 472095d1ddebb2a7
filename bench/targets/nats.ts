/**
 * Peer: NATS (Debian's nats-server, the `nats` npm client), on a loopback port
 * with JetStream file storage under .herald/bench/nats. Two targets share the
 * server:
 * - `nats`: core publish/subscribe. No persistence; a publish is acknowledged
 *   by a flush (PING/PONG), so it returns once the server processed it.
 * - `jetstream`: a file-storage stream over `bench.>`; a publish returns with
 *   the stream's ack (stored; nats-server fsyncs on an interval, 2 min by default).
 */
import { execFile } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  AckPolicy,
  connect,
  consumerOpts,
  DeliverPolicy,
  StorageType,
  type NatsConnection,
} from "nats";
import { freePort } from "../../testing/free-port.ts";
import { startService, type Service } from "./process.ts";
import type { GroupTarget, Subscriber, Target } from "./target.ts";

export const natsServerPath = "/usr/sbin/nats-server";
const streamName = "BENCH";

export interface NatsServer {
  readonly url: string;
  readonly version: string;
  readonly core: Target;
  readonly jetstream: Target;
  /** A group is a durable pull consumer of the stream filtered to the subject, explicit acks. */
  readonly jetstreamGroups: GroupTarget;
  stop(): Promise<void>;
}

async function natsConnection(url: string): Promise<NatsConnection> {
  return connect({ servers: url, maxReconnectAttempts: 0, noEcho: true });
}

export async function startNats(dataDir: string): Promise<NatsServer> {
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const port = await freePort();
  const { stdout } = await promisify(execFile)(natsServerPath, ["--version"]);
  const version = stdout.trim();
  const service: Service = startService("nats-server", natsServerPath, [
    "-a",
    "127.0.0.1",
    "-p",
    String(port),
    "-js",
    "-sd",
    dataDir,
  ]);
  await service.waitForLine(/Server is ready/, 30_000);
  const url = `127.0.0.1:${port}`;

  const admin = await natsConnection(url);
  const manager = await admin.jetstreamManager();
  await manager.streams.add({ name: streamName, subjects: ["bench.>"], storage: StorageType.File });

  const coreSubscriber = async (): Promise<Subscriber> => {
    const nc = await natsConnection(url);
    return {
      async subscribe(subject, onMessage) {
        const subscription = nc.subscribe(subject, {
          callback: (err, message) => {
            if (!err) onMessage(message.data);
          },
        });
        await nc.flush();
        return { close: () => subscription.unsubscribe() };
      },
      close: () => nc.close(),
    };
  };

  const core: Target = {
    name: "nats",
    version,
    prepare: () => Promise.resolve(),
    serverCpuMs: () => service.cpuMs(),
    release: () => Promise.resolve(),
    async connect() {
      const nc = await natsConnection(url);
      return {
        async publish(subject, body) {
          nc.publish(subject, body);
          await nc.flush();
        },
        close: () => nc.close(),
      };
    },
    subscriber: coreSubscriber,
    stop: () => Promise.resolve(),
  };

  const jetstream: Target = {
    name: "jetstream",
    version: `${version}, JetStream file storage`,
    prepare: () => Promise.resolve(),
    serverCpuMs: () => service.cpuMs(),
    async release(subject) {
      await manager.streams.purge(streamName, { filter: subject });
    },
    async connect() {
      const nc = await natsConnection(url);
      const js = nc.jetstream();
      return {
        async publish(subject, body) {
          await js.publish(subject, body);
        },
        close: () => nc.close(),
      };
    },
    async subscriber() {
      const nc = await natsConnection(url);
      const js = nc.jetstream();
      return {
        async subscribe(subject, onMessage) {
          const options = consumerOpts();
          options.orderedConsumer();
          options.deliverNew();
          options.callback((err, message) => {
            if (!err && message) onMessage(message.data);
          });
          const subscription = await js.subscribe(subject, options);
          return { close: () => subscription.unsubscribe() };
        },
        close: () => nc.close(),
      };
    },
    stop: () => Promise.resolve(),
  };

  const jetstreamGroups: GroupTarget = {
    name: "jetstream",
    connect: () => jetstream.connect(),
    async createGroup(group, subject) {
      await manager.consumers.add(streamName, {
        durable_name: group,
        filter_subject: subject,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
      });
    },
    async join(group, _subject, onMessage, { maxInFlight, ack }) {
      const nc = await natsConnection(url);
      const consumer = await nc.jetstream().consumers.get(streamName, group);
      const messages = await consumer.consume({
        max_messages: maxInFlight,
        callback: (message) => {
          onMessage(message.data);
          if (ack) message.ack();
        },
      });
      return {
        async close() {
          await messages.close();
          await nc.close();
        },
      };
    },
    async deleteGroup(group, subject) {
      await manager.consumers.delete(streamName, group);
      await manager.streams.purge(streamName, { filter: subject });
    },
    noRedelivery:
      "n/a: a JetStream consumer has no member connections to lose; an unacknowledged message comes again only after ack_wait (30 s by default)",
  };

  return {
    url,
    version,
    core,
    jetstream,
    jetstreamGroups,
    async stop() {
      await admin.close().catch(() => undefined);
      await service.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const natsDataDir = (root: string) => join(root, "nats");

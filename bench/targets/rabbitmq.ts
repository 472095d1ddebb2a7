/**
 * Peer: RabbitMQ (Debian's rabbitmq-server, the `amqplib` client), run in the
 * foreground on loopback ports with its own node name, epmd port and
 * directories under .herald/bench/rabbitmq, and no plugins.
 *
 * A subject is a durable fanout exchange with a durable classic queue bound to
 * it. A publish is persistent on a confirm channel and returns with the
 * broker's confirm (stored in the durable queue). A subscriber consumes the
 * durable queue; for fan-out each subscriber gets an exclusive queue bound to
 * the exchange, the RabbitMQ way of giving every subscriber every message.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { connect, type ChannelModel } from "amqplib";
import { freePort } from "../../testing/free-port.ts";
import { onEarlyExit, startService } from "./process.ts";
import type { GroupTarget, Target } from "./target.ts";

export const rabbitmqServerPath = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const epmdPath = "/usr/bin/epmd";

export interface RabbitmqServer extends Target {
  /** A group is the subject's durable queue, each member a connection consuming it with manual acks. */
  readonly groups: GroupTarget;
}

export async function startRabbitmq(baseDir: string): Promise<RabbitmqServer> {
  await rm(baseDir, { recursive: true, force: true });
  await mkdir(baseDir, { recursive: true });
  await writeFile(join(baseDir, "enabled_plugins"), "[].\n");
  const [amqpPort, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const nodeName = `herald-bench-${process.pid}@localhost`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: baseDir,
    LANG: "C.UTF-8",
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: "127.0.0.1",
    RABBITMQ_MNESIA_BASE: join(baseDir, "mnesia"),
    RABBITMQ_LOG_BASE: join(baseDir, "log"),
    RABBITMQ_LOGS: "-",
    RABBITMQ_ENABLED_PLUGINS_FILE: join(baseDir, "enabled_plugins"),
    RABBITMQ_CONFIG_FILE: join(baseDir, "rabbitmq"),
    RABBITMQ_CONF_ENV_FILE: "/dev/null",
    RABBITMQ_PID_FILE: join(baseDir, "rabbitmq.pid"),
  };
  const service = startService("rabbitmq-server", rabbitmqServerPath, [], { env });
  // epmd daemonizes out of the server's process group: stop it by its port.
  const stopEpmd = () =>
    promisify(execFile)(epmdPath, ["-kill"], { env: { ERL_EPMD_PORT: String(epmdPort) } }).catch(
      () => undefined,
    );
  const forgetEpmd = onEarlyExit(() => {
    try {
      execFileSync(epmdPath, ["-kill"], {
        env: { ERL_EPMD_PORT: String(epmdPort) },
        stdio: "ignore",
      });
    } catch {
      // Not running.
    }
  });
  const stop = async () => {
    await service.stop(20_000);
    await stopEpmd();
    forgetEpmd();
    await rm(baseDir, { recursive: true, force: true });
  };
  try {
    await service.waitForLine(/Server startup complete/, 90_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const version = /Starting RabbitMQ (\S+)/.exec(service.logs.join("\n"))?.[1] ?? "";
  const url = `amqp://guest:guest@127.0.0.1:${amqpPort}`;
  const admin: ChannelModel = await connect(url, { noDelay: true });
  const adminChannel = await admin.createChannel();

  const prepare = async (subject: string) => {
    await adminChannel.assertExchange(subject, "fanout", { durable: true });
    await adminChannel.assertQueue(subject, { durable: true });
    await adminChannel.bindQueue(subject, subject, "");
  };
  const release = async (subject: string) => {
    await adminChannel.deleteQueue(subject);
    await adminChannel.deleteExchange(subject);
  };
  const connectPublisher = async () => {
    const connection = await connect(url, { noDelay: true });
    const channel = await connection.createConfirmChannel();
    return {
      publish: (subject: string, body: Buffer) =>
        new Promise<void>((resolve, reject) => {
          channel.publish(subject, "", body, { persistent: true }, (err: unknown) =>
            err ? reject(new Error(`publish to ${subject} not confirmed`)) : resolve(),
          );
        }),
      close: () => connection.close(),
    };
  };

  return {
    name: "rabbitmq",
    version: `rabbitmq-server ${version}, durable classic queue, publisher confirms`,
    prepare,
    serverCpuMs: () => service.cpuMs(),
    release,
    connect: connectPublisher,
    async subscriber() {
      const connection = await connect(url, { noDelay: true });
      const channel = await connection.createChannel();
      return {
        async subscribe(subject, onMessage, options) {
          let queue = subject;
          if (options?.fanOut === true) {
            queue = (await channel.assertQueue("", { exclusive: true, autoDelete: true })).queue;
            await channel.bindQueue(queue, subject, "");
          }
          const { consumerTag } = await channel.consume(
            queue,
            (message) => {
              if (message) onMessage(message.content);
            },
            { noAck: true },
          );
          return { close: () => channel.cancel(consumerTag).then(() => undefined) };
        },
        close: () => connection.close(),
      };
    },
    groups: {
      name: "rabbitmq",
      connect: connectPublisher,
      createGroup: (_group, subject) => prepare(subject),
      async join(_group, subject, onMessage, { maxInFlight, ack }) {
        const connection = await connect(url, { noDelay: true });
        const channel = await connection.createChannel();
        await channel.prefetch(maxInFlight);
        await channel.consume(
          subject,
          (message) => {
            if (!message) return;
            onMessage(message.content);
            if (ack) channel.ack(message);
          },
          { noAck: false },
        );
        return { close: () => connection.close() };
      },
      deleteGroup: (_group, subject) => release(subject),
    },
    async stop() {
      await admin.close().catch(() => undefined);
      await stop();
    },
  };
}

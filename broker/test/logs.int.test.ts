/**
 * The broker process's logs: JSON lines, one each for startup, store
 * connected, store lost and recovered, and shutdown; no line per message at
 * info; and never a message body or the store password, even while publishes
 * fail during an outage.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { HeraldClient } from "../client/herald-client.ts";
import { TcpProxy } from "../../testing/tcp-proxy.ts";
import { postgresServer } from "../store/test/backends.ts";
import { type BrokerProcess, startBrokerProcess } from "./broker-process.ts";
import { uniqueSubject } from "./harness.ts";
import { brokerTestStores } from "./test-stores.ts";
import { until } from "../../testing/until.ts";

const LogLine = z.looseObject({
  level: z.number(),
  time: z.number(),
  msg: z.string(),
  service: z.literal("herald-broker"),
});
type LogLine = z.infer<typeof LogLine>;

const env = inject("testEnv");
const stores = brokerTestStores(env, "postgres", "herald_logs");
let proxy: TcpProxy | undefined;
let broker: BrokerProcess | undefined;

afterAll(async () => {
  if (broker !== undefined && broker.child.exitCode === null) {
    broker.child.kill("SIGKILL");
    await broker.exited;
  }
  await proxy?.close();
  await stores.drop();
});

const parsed = (logs: readonly string[]): LogLine[] =>
  logs.map((line) => LogLine.parse(JSON.parse(line)));
const count = (logs: readonly string[], msg: string) =>
  parsed(logs).filter((line) => line.msg === msg).length;

describe("broker process logs", () => {
  it("logs startup, store connect, loss, recovery and shutdown as JSON lines, and never a body", async () => {
    const server = postgresServer(env);
    proxy = await TcpProxy.start(server.host, server.port);
    const url = new URL(env.postgres.url);
    url.port = String(proxy.port);
    broker = await startBrokerProcess({
      HERALD_STORE: "postgres",
      HERALD_POSTGRES_URL: url.toString(),
      HERALD_POSTGRES_SCHEMA: stores.namespace,
      HERALD_STORE_TIMEOUT_MS: "1000",
      HERALD_LOG_LEVEL: "info",
    });
    const logs = broker.logs;
    await until('the first "store available" log', () => count(logs, "store available") === 1, {
      timeoutMs: 30_000,
    });
    const startup = parsed(logs);
    expect(startup.find((line) => line.msg === "broker listening")).toMatchObject({
      store: "postgres",
    });
    expect(startup.find((line) => line.msg === "http listening")).toMatchObject({ tracing: false });

    const client = new HeraldClient(broker.address, { callTimeoutMs: 5_000 });
    const secret = `secret-body-${randomUUID()}`;
    const subject = uniqueSubject("logs");
    try {
      const linesBefore = logs.length;
      for (let i = 0; i < 50; i++) await client.publish(subject, `${secret}-${i}`);
      await client.fetch(subject, 1);
      // Fifty publishes and a fetch at info: not one line.
      expect(logs.slice(linesBefore)).toEqual([]);

      await proxy.cut();
      await until(
        'the "store unavailable" log',
        async () => {
          await client.publish(subject, `${secret}-during-outage`).catch(() => undefined);
          return count(logs, "store unavailable") === 1;
        },
        { timeoutMs: 30_000 },
      );
      const lost = parsed(logs).find((line) => line.msg === "store unavailable");
      expect(lost).toMatchObject({ level: 40, store: "postgres" });

      await proxy.restore();
      await until('the second "store available" log', () => count(logs, "store available") === 2, {
        timeoutMs: 30_000,
      });
      await until(
        "a publish after the restore",
        () =>
          client.publish(subject, `${secret}-after`).then(
            () => true,
            () => false,
          ),
        { timeoutMs: 30_000 },
      );
    } finally {
      client.close();
    }

    broker.child.kill("SIGTERM");
    expect(await broker.exited).toBe(0);
    const all = parsed(logs);
    expect(all.map((line) => line.msg)).toEqual(
      expect.arrayContaining(["draining", "broker stopped"]),
    );
    expect(count(logs, "store unavailable")).toBe(1);
    const output = logs.join("\n");
    expect(output).not.toContain(secret);
    expect(output).not.toContain(Buffer.from(secret).toString("base64").slice(0, 24));
    if (url.password !== "") expect(output).not.toContain(url.password);
  });
});

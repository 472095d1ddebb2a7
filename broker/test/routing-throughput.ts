/**
 * A one-off measurement of routing clients (broker/README.md#routing-clients), run by hand with
 * `node broker/test/routing-throughput.ts` against the running test environment's PostgreSQL:
 * publish/s of 64 clients (one unary publish in flight each, each on its own subject) against one
 * broker process, against three with routing clients, and against three with clients that each
 * call one member (i mod 3), which forwards. The three setups take turns, round after round, so
 * background load hits them alike; the calls each member forwarded are read from /metrics.
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { HeraldClient } from "../client/herald-client.ts";
import { freePort } from "../../testing/free-port.ts";
import { readTestEnv } from "../../testing/test-env.ts";
import { dropPostgresSchema, uniqueNamespace } from "../store/test/backends.ts";
import { type BrokerProcess, startBrokerProcess } from "./broker-process.ts";

const clientCount = 64;
const rounds = 5;
const warmupMs = 2000;
const windowMs = 8000;
const body = Buffer.alloc(128, 0x61);

/** Publishes/s of `clients` in a closed loop: a warm-up, then a window; every loop ends with it. */
async function publishRate(
  clients: readonly HeraldClient[],
  label: string,
  servers: readonly BrokerProcess[],
): Promise<{ rate: number; cpuMicrosPerPublish: number }> {
  const subjects = clients.map((_, index) => `rt.${label}.${Date.now().toString(36)}.${index}`);
  let counting = false;
  let running = true;
  let ops = 0;
  const loops = clients.map(async (client, index) => {
    while (running) {
      await client.publish(subjects[index] ?? "", body);
      if (counting) ops += 1;
    }
  });
  await sleep(warmupMs);
  counting = true;
  const started = performance.now();
  const cpuBefore = cpuSeconds(servers);
  await sleep(windowMs);
  counting = false;
  const cpu = cpuSeconds(servers) - cpuBefore;
  const elapsed = performance.now() - started;
  const counted = ops;
  running = false;
  await Promise.all(loops);
  return { rate: (counted * 1000) / elapsed, cpuMicrosPerPublish: (cpu * 1e6) / counted };
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/** User + system CPU seconds of the brokers' processes so far. */
function cpuSeconds(brokers: readonly BrokerProcess[]): number {
  return brokers.reduce((sum, broker) => {
    // Fields after the parenthesized command: state is field 3, utime 14, stime 15.
    const fields = readFileSync(`/proc/${broker.child.pid}/stat`, "utf8")
      .split(") ")[1]
      ?.split(" ");
    return sum + (Number(fields?.[11]) + Number(fields?.[12])) / ticksPerSecond;
  }, 0);
}

/** The brokers' forwarded calls and group-commit writes (with the messages they carried) so far. */
async function counters(brokers: readonly BrokerProcess[]) {
  const texts = await Promise.all(
    brokers.map(async (broker) => (await fetch(`${broker.httpUrl}/metrics`)).text()),
  );
  const sum = (prefix: string) =>
    texts
      .flatMap((text) => text.split("\n"))
      .filter((line) => line.startsWith(prefix))
      .reduce((total, line) => total + Number(line.split(" ").at(-1)), 0);
  return {
    forwarded: sum("herald_forwarded_calls_total{"),
    writes: sum("herald_batch_messages_count"),
    written: sum("herald_batch_messages_sum"),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const env = await readTestEnv();
  if (env === undefined) throw new Error("no test environment: make env-up first");
  const schema = uniqueNamespace("herald_routing_rt");
  const store = {
    HERALD_STORE: "postgres",
    HERALD_POSTGRES_URL: env.postgres.url,
    HERALD_POSTGRES_SCHEMA: schema,
  };
  const brokers: BrokerProcess[] = [];
  const clients: HeraldClient[] = [];
  const connect = (address: string, routing: boolean) => {
    const client = new HeraldClient(address, { routing });
    clients.push(client);
    return client;
  };
  try {
    const single = await startBrokerProcess(store);
    brokers.push(single);
    const members = await Promise.all(
      ["rt-0", "rt-1", "rt-2"].map(async (name) => ({ name, port: await freePort() })),
    );
    const list = members.map(({ name, port }) => `${name}=127.0.0.1:${port}`).join(",");
    const cluster = await Promise.all(
      members.map(({ name, port }) =>
        startBrokerProcess({
          ...store,
          HERALD_GRPC_ADDR: `127.0.0.1:${port}`,
          HERALD_CLUSTER_MEMBERS: list,
          POD_NAME: name,
        }),
      ),
    );
    brokers.push(...cluster);
    const addressOf = (index: number) => cluster[index % cluster.length]?.address ?? "";
    const routing = Array.from({ length: clientCount }, (_, index) =>
      connect(addressOf(index), true),
    );
    const setups = [
      {
        label: "1 broker",
        servers: [single],
        clients: Array.from({ length: clientCount }, () => connect(single.address, false)),
      },
      { label: "3 brokers, routing clients", servers: cluster, clients: routing },
      {
        label: "3 brokers, forwarding",
        servers: cluster,
        clients: Array.from({ length: clientCount }, (_, index) =>
          connect(addressOf(index), false),
        ),
      },
    ];
    await Promise.all(routing.map((client) => client.routingEpoch()));
    process.stderr.write(
      `load average at start: ${loadavg()
        .map((v) => v.toFixed(2))
        .join(" ")}\n`,
    );
    const rates = new Map<string, number[]>(setups.map((setup) => [setup.label, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const setup of setups) {
        const before = await counters(setup.servers);
        const { rate, cpuMicrosPerPublish } = await publishRate(
          setup.clients,
          `r${round}`,
          setup.servers,
        );
        const after = await counters(setup.servers);
        const batch = (after.written - before.written) / (after.writes - before.writes);
        rates.get(setup.label)?.push(rate);
        process.stderr.write(
          `round ${round}  ${setup.label.padEnd(28)} ${rate.toFixed(0).padStart(6)} publish/s  ` +
            `${cpuMicrosPerPublish.toFixed(0).padStart(5)} broker CPU µs/publish  ` +
            `batch ${batch.toFixed(1).padStart(5)}  forwarded ${after.forwarded - before.forwarded}  ` +
            `load ${loadavg()[0]?.toFixed(2)}\n`,
        );
      }
    }
    const alone = median(rates.get("1 broker") ?? []);
    for (const [label, values] of rates) {
      const ratio = median(values) / alone;
      process.stderr.write(`median ${label.padEnd(28)} ÷ 1 broker: ${ratio.toFixed(2)}\n`);
    }
  } finally {
    for (const client of clients) client.close();
    for (const broker of brokers) broker.child.kill("SIGTERM");
    await Promise.all(brokers.map((broker) => broker.exited));
    await dropPostgresSchema(env, schema);
  }
}

await main();

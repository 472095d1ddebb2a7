/**
 * Runs a real broker in-process on 127.0.0.1 with an ephemeral port, for the
 * broker-level integration suites.
 */
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { Registry } from "prom-client";
import { type Broker, type BrokerSettings, startBroker } from "../broker.ts";
import { HeraldClient, type HeraldClientOptions } from "../client/herald-client.ts";
import type { ProbeTarget } from "./grpc-probes.ts";
import type { MessageStore } from "../store/message-store.ts";

export interface TestBroker {
  readonly broker: Broker;
  readonly address: string;
  /** The address with the clients' TLS and token, for the raw probes. */
  readonly target: ProbeTarget;
  readonly registry: Registry;
  /** A client on the broker (by default with the broker's client options), closed by `stop`. */
  client(options?: HeraldClientOptions): HeraldClient;
  /** Current value of a metric without labels. */
  metric(name: string): Promise<number>;
  stop(): Promise<void>;
}

export const defaultTestSettings: BrokerSettings = {
  grpcAddress: { host: "127.0.0.1", port: 0 },
  batch: { maxSize: 500, maxDelayMs: 2 },
  dedupWindowMs: 120_000,
  maxMessageBytes: 64 * 1024,
  subscriberBufferSize: 1024,
  publishStreamMaxInflight: 1024,
  publishStreamMaxInflightBytes: 16 * 1024 * 1024,
  storeTimeoutMs: 5_000,
  purgeIntervalMs: 60_000,
  maxConnectionAgeMs: 0,
  maxConnectionIdleMs: 0,
  maxConcurrentStreams: 1000,
  pendingBytes: { maxBytes: 256 * 1024 * 1024, maxConnectionBytes: 64 * 1024 * 1024 },
  keepalive: { timeMs: 30_000, timeoutMs: 10_000 },
  shutdownGraceMs: 5_000,
  retention: { defaultExpirationSeconds: undefined, maxExpirationSeconds: undefined },
};

/**
 * `clientOptions`: what `client()` connects with by default (TLS and a token for a broker with
 * security settings).
 */
export async function startTestBroker(
  store: MessageStore,
  overrides: Partial<BrokerSettings> = {},
  clientOptions: HeraldClientOptions = {},
): Promise<TestBroker> {
  const registry = new Registry();
  const broker = await startBroker({
    settings: { ...defaultTestSettings, ...overrides },
    store,
    logger: pino({ level: process.env.HERALD_TEST_LOG_LEVEL ?? "silent" }),
    registry,
  });
  await broker.storeOpened();
  const address = `127.0.0.1:${broker.port}`;
  const clients: HeraldClient[] = [];
  return {
    broker,
    address,
    target: { address, ca: clientOptions.tls?.ca, token: clientOptions.token },
    registry,
    client: (options = clientOptions) => {
      const client = new HeraldClient(address, options);
      clients.push(client);
      return client;
    },
    metric: async (name) => {
      const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
      return values.reduce((sum, { value }) => sum + value, 0);
    },
    stop: async () => {
      await broker.shutdown();
      for (const client of clients.splice(0)) client.close();
    },
  };
}

/** A subject no other test uses. */
export const uniqueSubject = (name: string) => `${name}.${randomUUID().slice(0, 8)}`;

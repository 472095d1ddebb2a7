/**
 * Memory under abuse (broker/README.md#publishstream): a broker process on PostgreSQL, with the
 * store frozen where a case needs it. The shared server cannot be SIGSTOPped, so a TCP proxy between
 * broker and store stalls instead: connections stay open and no byte moves. Each case reads the
 * broker's peak VmRSS and asserts it stays under `rssBoundMiB`; calls past the pending-bytes caps
 * must be RESOURCE_EXHAUSTED at once, and a subscriber that never reads must be ended. Each case reports its peak on stderr, and has a broker of its own.
 */
import { once } from "node:events";
import { connect, type ClientHttp2Session } from "node:http2";
import { credentials, type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { BrokerClient, type PublishStreamResponse, SubscribeRequest } from "../api/gen/broker.ts";
import { TcpProxy } from "../../testing/tcp-proxy.ts";
import { until } from "../../testing/until.ts";
import {
  type BrokerProcess,
  brokerStoreEnv,
  httpStatus,
  startBrokerProcess,
} from "./broker-process.ts";
import { range } from "./expectations.ts";
import { sampleRss } from "./faults/rss-sampler.ts";
import { uniqueSubject } from "./harness.ts";
import { brokerTestStores } from "./test-stores.ts";

const env = inject("testEnv");
const mebibyte = 1024 * 1024;
const maxPendingBytes = 64 * mebibyte;
const maxConnectionPendingBytes = 16 * mebibyte;
const rssBoundMiB = 400;
const caseTimeout = { timeout: 60_000 };

/** A client on a connection of its own: grpc-js would otherwise share one between equal clients. */
const ownConnection = (address: string) =>
  new BrokerClient(address, credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
    "grpc.max_send_message_length": -1,
    "grpc.max_receive_message_length": -1,
  });

const publishRequest = (subject: string, body: Buffer) => ({
  subject,
  body,
  expirationSeconds: 0,
  idempotencyKey: "",
});

/**
 * Subjects with one message each, so that the broker knows their last ids before the store
 * freezes: a subject's first publish reads its last id, and that read would fail, not wait.
 */
async function warmSubjects(client: BrokerClient | undefined, count: number, prefix: string) {
  const subjects = range(1, count).map(() => uniqueSubject(prefix));
  await Promise.all(
    subjects.map(
      (subject) =>
        new Promise<void>((resolve, reject) =>
          client?.publish(
            publishRequest(subject, Buffer.from("warm")),
            (err: ServiceError | null) => (err === null ? resolve() : reject(err)),
          ),
        ),
    ),
  );
  return subjects;
}

describe("broker memory under abuse, on PostgreSQL", () => {
  const stores = brokerTestStores(env, "postgres", "herald_abuse");
  let proxy: TcpProxy;
  let broker: BrokerProcess;

  const metric = async (name: string) => {
    const text = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    const match = new RegExp(`^${name} (\\d+)$`, "m").exec(text);
    return Number(match?.[1] ?? Number.NaN);
  };
  /** Runs `abuse` while sampling the broker's VmRSS, and returns the peak in MiB. */
  const peakRssOf = async (label: string, abuse: () => Promise<void>) => {
    const sampler = sampleRss(() => (broker.child.pid === undefined ? [] : [broker.child.pid]));
    try {
      await abuse();
    } finally {
      await sampler.stop();
      process.stderr.write(`abuse case ${label}: peak RSS ${sampler.peakMiB} MiB\n`);
    }
    return sampler.peakMiB;
  };

  // Each case has a broker of its own, so that no case's garbage counts in the next one's peak.
  beforeEach(async () => {
    const server = stores.backend.server;
    if (server === undefined) throw new Error("postgres has no server to proxy");
    proxy = await TcpProxy.start(server.host, server.port);
    broker = await startBrokerProcess({
      ...brokerStoreEnv("postgres", env, stores.namespace, proxy.port),
      // A frozen write waits instead of timing out, so publishes pile up behind it.
      HERALD_STORE_TIMEOUT_MS: "60000",
      HERALD_MAX_PENDING_BYTES: String(maxPendingBytes),
      HERALD_MAX_CONNECTION_PENDING_BYTES: String(maxConnectionPendingBytes),
      HERALD_MAX_CONNECTION_IDLE_MS: "2000",
      HERALD_SUBSCRIBER_BUFFER: "64",
    });
    await until("/readyz 200", async () => (await httpStatus(broker, "/readyz")) === 200);
  }, 60_000);

  afterEach(async () => {
    proxy.resume();
    broker.child.kill("SIGKILL");
    await broker.exited;
    await proxy.close();
  });

  afterAll(() => stores.drop());

  it(
    "many streams of large bodies: frames past the caps are refused alone",
    caseTimeout,
    async () => {
      const body = Buffer.alloc(mebibyte, 1);
      const framesPerStream = 24;
      const clients = range(1, 4).map(() => ownConnection(broker.address));
      const responses: PublishStreamResponse[] = [];
      const refused = () =>
        responses.filter((response) => response.error?.code === status.RESOURCE_EXHAUSTED).length;
      const subjects = await warmSubjects(clients[0], 16, "abuse.stream");
      let ended: Promise<unknown>[] = [];
      const peak = await peakRssOf("16 streams x 24 x 1 MiB, store frozen", async () => {
        proxy.stall();
        ended = clients.flatMap((client, connection) =>
          range(0, 3).map((stream) => {
            const call = client.publishStream();
            const subject = subjects[connection * 4 + stream] ?? "";
            call.on("data", (response: PublishStreamResponse) => responses.push(response));
            for (const sequence of range(1, framesPerStream)) {
              call.write({ sequence, message: publishRequest(subject, body) });
            }
            call.end();
            return Promise.race([once(call, "end"), once(call, "error")]);
          }),
        );
        await until("the broker at its pending-bytes cap", async () => {
          const held = await metric("herald_pending_publish_bytes");
          return held > maxPendingBytes - 2 * mebibyte && refused() > 0;
        });
      });
      proxy.resume();
      await Promise.all(ended);
      expect(responses).toHaveLength(16 * framesPerStream);
      const outcomes = new Set(
        responses.map((r) => (r.error === undefined ? "OK" : status[r.error.code])),
      );
      // Admitted frames wait for the frozen write, which fails once PostgreSQL's statement timeout passes.
      expect(outcomes).toContain("RESOURCE_EXHAUSTED");
      for (const outcome of outcomes) {
        expect(["OK", "UNAVAILABLE", "RESOURCE_EXHAUSTED"]).toContain(outcome);
      }
      expect(responses.find((r) => r.error !== undefined)?.error?.message).toMatch(
        /already holds \d+ bytes of publishes not yet stored; HERALD_MAX_(CONNECTION_)?PENDING_BYTES/,
      );
      expect(peak).toBeLessThan(rssBoundMiB);
      for (const client of clients) client.close();
    },
  );

  it(
    "many connections each publishing large bodies: calls past the caps are refused",
    caseTimeout,
    async () => {
      const body = Buffer.alloc(2 * mebibyte, 2);
      const callsPerConnection = 10;
      const clients = range(1, 4).map(() => ownConnection(broker.address));
      const codes: status[] = [];
      const subjects = await warmSubjects(clients[0], clients.length, "abuse.unary");
      let calls: Promise<void>[] = [];
      const peak = await peakRssOf("4 connections x 10 x 2 MiB unary, store frozen", async () => {
        proxy.stall();
        calls = clients.flatMap((client, connection) =>
          range(1, callsPerConnection).map(
            () =>
              new Promise<void>((resolve) => {
                client.publish(
                  publishRequest(subjects[connection] ?? "", body),
                  (err: ServiceError | null) => {
                    codes.push(err?.code ?? status.OK);
                    resolve();
                  },
                );
              }),
          ),
        );
        // Every call not held is refused at once: held + refused is every call.
        await until("every call held or refused", async () => {
          const held = (await metric("herald_pending_publish_bytes")) / body.length;
          return held + codes.length === clients.length * callsPerConnection;
        });
      });
      const refusedWhileFrozen = codes.filter((code) => code === status.RESOURCE_EXHAUSTED).length;
      proxy.resume();
      await Promise.all(calls);
      expect(refusedWhileFrozen).toBeGreaterThan(0);
      for (const code of new Set(codes.map((c) => status[c]))) {
        expect(["OK", "UNAVAILABLE", "RESOURCE_EXHAUSTED"]).toContain(code);
      }
      expect(codes.filter((code) => code === status.OK).length).toBeLessThanOrEqual(
        maxPendingBytes / body.length,
      );
      expect(peak).toBeLessThan(rssBoundMiB);
      for (const client of clients) client.close();
    },
  );

  it("many idle connections: each is closed after the idle timeout", caseTimeout, async () => {
    const sessions: ClientHttp2Session[] = [];
    let closed = 0;
    const peak = await peakRssOf("500 idle connections", async () => {
      sessions.push(
        ...range(1, 500).map(() => {
          const session = connect(`http://${broker.address}`);
          session.on("error", () => undefined);
          session.on("close", () => (closed += 1));
          return session;
        }),
      );
      await until("every idle connection closed by the broker", () => closed === sessions.length, {
        timeoutMs: 30_000,
        intervalMs: 200,
      });
    });
    expect(closed).toBe(500);
    expect(peak).toBeLessThan(rssBoundMiB);
  });

  it("a subscriber that never reads: its stream ends RESOURCE_EXHAUSTED", caseTimeout, async () => {
    const subject = uniqueSubject("abuse.slow");
    // Raw HTTP/2: a grpc-js client keeps reading into its own buffer even when paused.
    const session = connect(`http://${broker.address}`);
    session.on("error", () => undefined);
    const request = Buffer.from(SubscribeRequest.encode({ subject, startId: 0 }).finish());
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(request.length, 1);
    const stream = session.request({
      ":method": "POST",
      ":path": "/broker.Broker/Subscribe",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.end(Buffer.concat([prefix, request]));
    await once(stream, "response");
    stream.pause();
    const publisher = ownConnection(broker.address);
    const body = Buffer.alloc(256 * 1024, 3);
    const overflowed = async () => (await metric("herald_subscriber_overflows_total")) > 0;
    const peak = await peakRssOf("a subscriber that never reads, 256 KiB messages", async () => {
      for (let batch = 0; batch < 20 && !(await overflowed()); batch += 1) {
        await Promise.all(
          range(1, 10).map(
            () =>
              new Promise<void>((resolve, reject) =>
                publisher.publish(publishRequest(subject, body), (err: ServiceError | null) =>
                  err === null ? resolve() : reject(err),
                ),
              ),
          ),
        );
      }
      await until("the subscriber's overflow", overflowed);
    });
    const trailers = once(stream, "trailers");
    stream.on("data", () => undefined);
    stream.resume();
    const [headers] = (await trailers) as [Record<string, string | undefined>];
    expect(status[Number(headers["grpc-status"])]).toBe("RESOURCE_EXHAUSTED");
    expect(peak).toBeLessThan(rssBoundMiB);
    publisher.close();
    session.close();
  });
});

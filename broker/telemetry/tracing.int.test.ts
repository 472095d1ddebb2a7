/**
 * Traces of a broker process exported over OTLP/gRPC to a real endpoint the
 * test serves: a Publish carrying a W3C traceparent yields a server span in
 * that trace, with subject and id, and the batch flush that stored it is a
 * span linked to it. A PublishStream is one span; each delivery attempt of a
 * consumer group is a span linked to the publish.
 */
import { credentials, Metadata } from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BrokerClient, type PublishResponse } from "../api/gen/broker.ts";
import { type BrokerProcess, startBrokerProcess } from "../test/broker-process.ts";
import { uniqueSubject } from "../test/harness.ts";
import { brokerTestStores } from "../test/test-stores.ts";
import { RawMember } from "../groups/test/raw-member.ts";
import { OtlpReceiver, type ReceivedSpan, spanKindServer } from "./test/otlp-receiver.ts";
import { until } from "../../testing/until.ts";

const registerPath = join(import.meta.dirname, "register.ts");

let receiver: OtlpReceiver;
let broker: BrokerProcess;
let client: BrokerClient;

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  broker = await startBrokerProcess({
    HERALD_STORE: "memory",
    NODE_OPTIONS: `--import ${registerPath}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_BSP_SCHEDULE_DELAY: "100",
    OTEL_TRACES_SAMPLER: "parentbased_always_on",
    OTEL_SERVICE_NAME: "herald-broker-test",
  });
  client = new BrokerClient(broker.address, credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  if (broker !== undefined && broker.child.exitCode === null) {
    broker.child.kill("SIGKILL");
    await broker.exited;
  }
  await receiver?.close();
});

const publish = (subject: string, body: string, metadata: Metadata) =>
  new Promise<PublishResponse>((resolve, reject) =>
    client.publish(
      { subject, body: Buffer.from(body), expirationSeconds: 0, idempotencyKey: "" },
      metadata,
      { deadline: Date.now() + 10_000 },
      (err, response) => (err ? reject(err) : resolve(response)),
    ),
  );

const find = (predicate: (span: ReceivedSpan) => boolean) => receiver.spans.find(predicate);

describe("tracing to an OTLP/gRPC endpoint", () => {
  it("reports tracing on at startup", () => {
    expect(
      broker.logs.some(
        (line) => /"msg":"http listening"/.test(line) && /"tracing":true/.test(line),
      ),
    ).toBe(true);
  });

  it("exports a Publish server span in the caller's trace and a flush span linked to it", async () => {
    const traceId = randomBytes(16).toString("hex");
    const callerSpanId = randomBytes(8).toString("hex");
    const metadata = new Metadata();
    metadata.set("traceparent", `00-${traceId}-${callerSpanId}-01`);
    const subject = uniqueSubject("traced");
    const { id } = await publish(subject, "traced body", metadata);

    await until(
      "the Publish server span",
      () =>
        find((span) => span.name === "broker.Broker/Publish" && span.traceId === traceId) !==
        undefined,
      { timeoutMs: 15_000 },
    );
    const server = find(
      (span) => span.name === "broker.Broker/Publish" && span.traceId === traceId,
    );
    expect(server).toMatchObject({
      kind: spanKindServer,
      parentSpanId: callerSpanId,
      attributes: {
        "rpc.system": "grpc",
        "rpc.method": "Publish",
        "messaging.destination.name": subject,
        "messaging.message.id": id,
        "rpc.grpc.status_code": 0,
      },
    });

    const linksServer = (span: ReceivedSpan) =>
      span.links.some((link) => link.traceId === traceId && link.spanId === server?.spanId);
    await until(
      "the flush span linked to the Publish",
      () => find((span) => span.name === "herald.batch.flush" && linksServer(span)) !== undefined,
      { timeoutMs: 15_000 },
    );
    const flush = find((span) => span.name === "herald.batch.flush" && linksServer(span));
    // A flush serves many traces: its own trace is a new root, tied to each publish by a link.
    expect(flush?.parentSpanId).toBe("");
    expect(flush?.traceId).not.toBe(traceId);
    expect(flush?.attributes["herald.batch.messages"]).toBe(1);
  });

  it("exports a span per consumer-group delivery attempt, linked to the Publish, with its outcome", async () => {
    const subject = uniqueSubject("traced-group");
    const member = new RawMember(broker.address, { group: "traced", subject, ackWaitMs: 60_000 });
    await member.joined;
    const traceId = randomBytes(16).toString("hex");
    const metadata = new Metadata();
    metadata.set("traceparent", `00-${traceId}-${randomBytes(8).toString("hex")}-01`);
    const { id } = await publish(subject, "consumed", metadata);
    const [delivery] = await member.received(1);
    member.ack(delivery ?? { subject, id, attempt: 1 });

    const delivered = await until(
      "the delivery span",
      () =>
        find(
          (span) =>
            span.name === "herald.group.deliver" &&
            span.attributes["messaging.destination.name"] === subject,
        ),
      { timeoutMs: 15_000 },
    );
    const server = find(
      (span) => span.name === "broker.Broker/Publish" && span.traceId === traceId,
    );
    expect(delivered.links).toContainEqual(
      expect.objectContaining({ traceId, spanId: server?.spanId }),
    );
    expect(delivered.attributes).toMatchObject({
      "messaging.consumer.group.name": "traced",
      "messaging.message.id": id,
      "herald.delivery.attempt": 1,
      "herald.delivery.outcome": "ack",
    });
    member.close();
  });

  it("exports one PublishStream span per stream in the caller's trace", async () => {
    const traceId = randomBytes(16).toString("hex");
    const metadata = new Metadata();
    metadata.set("traceparent", `00-${traceId}-${randomBytes(8).toString("hex")}-01`);
    const stream = client.publishStream(metadata);
    const answered = new Promise<number>((resolve) => {
      let count = 0;
      stream.on("data", () => (count += 1));
      stream.on("end", () => resolve(count));
    });
    const subject = uniqueSubject("traced-stream");
    for (const sequence of [1, 2, 3])
      stream.write({
        sequence,
        message: { subject, body: Buffer.from("x"), expirationSeconds: 0, idempotencyKey: "" },
      });
    stream.end();
    expect(await answered).toBe(3);
    const isStreamSpan = (span: ReceivedSpan) =>
      span.name === "broker.Broker/PublishStream" && span.traceId === traceId;
    await until("the PublishStream span", () => find(isStreamSpan) !== undefined, {
      timeoutMs: 15_000,
    });
    expect(receiver.spans.filter(isStreamSpan)).toHaveLength(1);
    expect(find(isStreamSpan)).toMatchObject({
      kind: spanKindServer,
      attributes: { "rpc.method": "PublishStream", "rpc.grpc.status_code": 0 },
    });
  });

  it("exports a failed Fetch as an error span, and the spans still buffered at SIGTERM", async () => {
    const subject = uniqueSubject("traced-fetch");
    await expect(
      new Promise((resolve, reject) =>
        client.fetch({ subject, id: 7 }, new Metadata(), (err, response) =>
          err ? reject(err) : resolve(response),
        ),
      ),
    ).rejects.toMatchObject({ code: 3 });
    broker.child.kill("SIGTERM");
    expect(await broker.exited).toBe(0);
    const fetchSpan = find(
      (span) =>
        span.name === "broker.Broker/Fetch" &&
        span.attributes["messaging.destination.name"] === subject,
    );
    expect(fetchSpan?.attributes).toMatchObject({
      "messaging.message.id": 7,
      "rpc.grpc.status_code": 3,
    });
  });
});

describe("tracing to an unreachable collector", () => {
  it("still serves, and drains and exits 0 on SIGTERM", async () => {
    const unreachable = await startBrokerProcess({
      HERALD_STORE: "memory",
      NODE_OPTIONS: `--import ${registerPath}`,
      // Port 1 on loopback refuses connections.
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1",
    });
    const lonely = new BrokerClient(unreachable.address, credentials.createInsecure());
    try {
      await new Promise<void>((resolve, reject) =>
        lonely.publish(
          {
            subject: uniqueSubject("lonely"),
            body: Buffer.from("x"),
            expirationSeconds: 0,
            idempotencyKey: "",
          },
          new Metadata(),
          { deadline: Date.now() + 10_000 },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    } finally {
      lonely.close();
    }
    unreachable.child.kill("SIGTERM");
    expect(await unreachable.exited).toBe(0);
  });
});

describe("tracing with the PostgreSQL store", () => {
  const env = inject("testEnv");
  const stores = brokerTestStores(env, "postgres", "herald_tracing");
  let pgBroker: BrokerProcess | undefined;
  let pgClient: BrokerClient | undefined;

  afterAll(async () => {
    pgClient?.close();
    if (pgBroker !== undefined && pgBroker.child.exitCode === null) {
      pgBroker.child.kill("SIGKILL");
      await pgBroker.exited;
    }
    await stores.drop();
  });

  it("puts the store's queries under the flush span", async () => {
    pgBroker = await startBrokerProcess({
      HERALD_STORE: "postgres",
      HERALD_POSTGRES_URL: env.postgres.url,
      HERALD_POSTGRES_SCHEMA: stores.namespace,
      NODE_OPTIONS: `--import ${registerPath}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
    pgClient = new BrokerClient(pgBroker.address, credentials.createInsecure());
    const traceId = randomBytes(16).toString("hex");
    const metadata = new Metadata();
    metadata.set("traceparent", `00-${traceId}-${randomBytes(8).toString("hex")}-01`);
    const subject = uniqueSubject("traced-pg");
    const secret = `secret-${randomBytes(8).toString("hex")}`;
    const client = pgClient;
    await until(
      "a publish through the PostgreSQL-backed broker",
      () =>
        new Promise<boolean>((resolve) =>
          client.publish(
            { subject, body: Buffer.from(secret), expirationSeconds: 0, idempotencyKey: "" },
            metadata,
            { deadline: Date.now() + 5_000 },
            (err) => resolve(err === null),
          ),
        ),
      { timeoutMs: 30_000 },
    );
    const flushOf = (span: ReceivedSpan) =>
      span.name === "herald.batch.flush" && span.links.some((link) => link.traceId === traceId);
    await until(
      "a flush span with a child span",
      () => {
        const flush = find(flushOf);
        return (
          flush !== undefined && find((span) => span.parentSpanId === flush.spanId) !== undefined
        );
      },
      { timeoutMs: 15_000 },
    );
    const flush = find(flushOf);
    const children = receiver.spans.filter((span) => span.parentSpanId === flush?.spanId);
    expect(children.length).toBeGreaterThan(0);
    for (const child of children) {
      expect(child).toMatchObject({
        traceId: flush?.traceId,
        attributes: { "db.system.name": "postgresql" },
      });
    }
    // Query parameters (the bodies) are not recorded.
    expect(JSON.stringify(receiver.spans)).not.toContain(secret);
  });
});

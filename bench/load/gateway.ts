/**
 * The web gateway (broker/README.md#http-gateway) on a Herald memory broker of its own, as users
 * run it: Server-Sent Events fan-out to many clients of one subject, each an HTTP/1.1 keep-alive
 * connection from this process; and publish/s through `POST /v1/subjects/{subject}/messages`
 * against gRPC unary Publish at the same concurrency on the same broker, in turns. Bounded by
 * message counts, the closed loop's window and a timeout.
 */
import { Agent, request } from "node:http";
import type { TestEnv } from "../../testing/test-env.ts";
import { freePort } from "../../testing/free-port.ts";
import type { GatewaySection } from "../report/gateway.ts";
import { startHerald } from "../targets/herald.ts";
import type { TargetClient } from "../targets/target.ts";
import { closedLoop, type ClosedLoopOptions, type ClosedLoopResult } from "./closed-loop.ts";
import { freshSubject } from "./scenarios.ts";

export interface GatewayParams extends ClosedLoopOptions {
  readonly sseClients: number;
  readonly sseMessages: number;
  /** Publishes the fan-out publisher keeps in flight. */
  readonly sseWindow: number;
  readonly sseTimeoutMs: number;
  readonly publishClients: readonly number[];
  readonly bodyBytes: number;
}

/** One event stream: counts the events (blank-line ends) after its `: subscribed` comment. */
interface SseClient {
  readonly subscribed: Promise<void>;
  events(): number;
  /** The broker ended the stream (an `error` event: the client fell behind). */
  cutOff(): boolean;
  close(): void;
}

function openSse(url: string, agent: Agent, timeoutMs: number): SseClient {
  let ends = 0;
  let previous = "";
  let cutOff = false;
  const subscribed = Promise.withResolvers<void>();
  const call = request(url, { agent, timeout: timeoutMs }, (response) => {
    if (response.statusCode !== 200) {
      subscribed.reject(new Error(`GET ${url}: ${response.statusCode ?? "no status"}`));
      response.resume();
      return;
    }
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      const text = previous + chunk;
      ends += text.split("\n\n").length - 1;
      if (text.includes("event: error")) cutOff = true;
      // One character kept: an event's blank line may straddle two chunks.
      previous = chunk.endsWith("\n") ? "\n" : "";
      if (ends > 0) subscribed.resolve();
    });
  });
  call.on("error", (err) => subscribed.reject(err));
  call.end();
  return {
    subscribed: subscribed.promise,
    // The first blank line ends the `: subscribed` comment.
    events: () => Math.max(0, ends - 1),
    cutOff: () => cutOff,
    close: () => call.destroy(),
  };
}

async function measureSseFanOut(
  webUrl: string,
  publisher: TargetClient,
  params: GatewayParams,
): Promise<GatewaySection["sseFanOut"]> {
  const subject = freshSubject("ssefanout");
  const agent = new Agent({ keepAlive: true, maxSockets: params.sseClients });
  const url = `${webUrl}/v1/subjects/${encodeURIComponent(subject)}/events`;
  const clients = Array.from({ length: params.sseClients }, () =>
    openSse(url, agent, params.sseTimeoutMs),
  );
  try {
    await Promise.all(clients.map((client) => client.subscribed));
    const body = Buffer.alloc(params.bodyBytes, 0x61);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: params.sseWindow }, async () => {
        while (next < params.sseMessages) {
          next++;
          await publisher.publish(subject, body);
        }
      }),
    );
    const expected = params.sseClients * params.sseMessages;
    const deliveries = () => clients.reduce((sum, client) => sum + client.events(), 0);
    const deadline = started + params.sseTimeoutMs;
    let lastDeliveryAt = performance.now();
    for (let seen = deliveries(); seen < expected && performance.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const now = deliveries();
      if (now > seen) lastDeliveryAt = performance.now();
      seen = now;
      if (clients.some((client) => client.cutOff())) break;
    }
    const delivered = deliveries();
    const durationMs = lastDeliveryAt - started;
    return {
      clients: params.sseClients,
      messages: params.sseMessages,
      deliveries: delivered,
      durationMs,
      deliveriesPerSec: (delivered * 1000) / durationMs,
      complete: delivered === expected && !clients.some((client) => client.cutOff()),
    };
  } finally {
    for (const client of clients) client.close();
    agent.destroy();
  }
}

/** A gateway publisher: POST with one keep-alive connection per client. */
function gatewayPublisher(webUrl: string, agent: Agent) {
  return (subject: string, body: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const call = request(
        `${webUrl}/v1/subjects/${encodeURIComponent(subject)}/messages`,
        { method: "POST", agent, headers: { "content-length": body.length } },
        (response) => {
          response.resume();
          response.once("end", () =>
            response.statusCode === 201
              ? resolve()
              : reject(new Error(`POST: ${response.statusCode ?? "no status"}`)),
          );
        },
      );
      call.once("error", reject);
      call.end(body);
    });
}

const loop = ({ ops, errors, durationMs, opsPerSec, firstError }: ClosedLoopResult) => ({
  ops,
  errors,
  durationMs,
  opsPerSec,
  ...(firstError === undefined ? {} : { firstError }),
});

export async function gatewayBench(env: TestEnv, params: GatewayParams): Promise<GatewaySection> {
  const webPort = await freePort();
  const herald = await startHerald("memory", env, {
    name: "memory gateway",
    extraEnv: {
      HERALD_WEB_ADDR: `127.0.0.1:${webPort}`,
      HERALD_WEB_MAX_STREAMS: String(params.sseClients + 100),
    },
  });
  const webUrl = `http://127.0.0.1:${webPort}`;
  const grpcClients: TargetClient[] = [];
  try {
    const publisher = await herald.connect();
    grpcClients.push(publisher);
    const sseFanOut = await measureSseFanOut(webUrl, publisher, params);
    const body = Buffer.alloc(params.bodyBytes, 0x62);
    const publish: GatewaySection["publish"] = [];
    for (const clients of params.publishClients) {
      const agent = new Agent({ keepAlive: true, maxSockets: clients });
      const post = gatewayPublisher(webUrl, agent);
      const httpSubject = freshSubject("gatewaypost");
      const gateway = await closedLoop(
        Array.from({ length: clients }, () => () => post(httpSubject, body)),
        params,
      ).finally(() => agent.destroy());
      const connections = await Promise.all(
        Array.from({ length: clients }, () => herald.connect()),
      );
      grpcClients.push(...connections);
      const grpcSubject = freshSubject("gatewaygrpc");
      const grpc = await closedLoop(
        connections.map((client) => () => client.publish(grpcSubject, body)),
        params,
      );
      publish.push({
        clients,
        gateway: loop(gateway),
        grpc: loop(grpc),
        ratio: gateway.opsPerSec / grpc.opsPerSec,
      });
    }
    return { store: "memory", bodyBytes: params.bodyBytes, sseFanOut, publish };
  } finally {
    await Promise.all(grpcClients.map((client) => client.close()));
    await herald.stop();
  }
}

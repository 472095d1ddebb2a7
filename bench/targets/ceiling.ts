/**
 * The ceiling target: the same load generator against ceiling-server.ts, so
 * that Herald's figures can be read as a fraction of what @grpc/grpc-js on
 * this machine allows at all.
 */
import { join } from "node:path";
import { sleep } from "../load/closed-loop.ts";
import { grpcClient, grpcSubscriber } from "../load/grpc-client.ts";
import { startService } from "./process.ts";
import { brokerNodeOptions } from "./herald.ts";
import { brokerNodeFlags } from "../../broker/node-flags.ts";
import type { Target } from "./target.ts";

export interface StreamResult {
  readonly streams: number;
  readonly framesPerStream: number;
  readonly deliveries: number;
  readonly durationMs: number;
  readonly deliveriesPerSec: number;
  readonly complete: boolean;
}

export interface CeilingTarget extends Target {
  /** host:port of its gRPC server, for the independent load generators. */
  readonly address: string;
  /** `streams` server streams over `connections` connections, each sent `frames` frames of `bodyBytes`. */
  streams(options: {
    streams: number;
    connections: number;
    frames: number;
    bodyBytes: number;
    timeoutMs: number;
  }): Promise<StreamResult>;
}

export async function startCeiling(): Promise<CeilingTarget> {
  // With the broker's young-generation size and flags: the same V8 settings on both sides of the ratio.
  const service = startService(
    "ceiling",
    process.execPath,
    [...brokerNodeFlags, join(import.meta.dirname, "ceiling-server.ts")],
    { env: { ...process.env, NODE_OPTIONS: brokerNodeOptions } },
  );
  const match = await service.waitForLine(/^ceiling listening (\S+)$/, 30_000);
  const address = match[1] ?? "";
  return {
    name: "ceiling",
    version: "empty @grpc/grpc-js handlers",
    address,
    prepare: () => Promise.resolve(),
    release: () => Promise.resolve(),
    serverCpuMs: () => service.cpuMs(),
    connect: () => grpcClient(address),
    subscriber: () => grpcSubscriber(address),
    async streams(options) {
      const connections = await Promise.all(
        Array.from({ length: options.connections }, () => grpcSubscriber(address, options.frames)),
      );
      const subscriberOf = (i: number) => {
        const connection = connections[i % connections.length];
        if (connection === undefined) throw new Error("no connections");
        return connection;
      };
      const total = options.streams * options.frames;
      let deliveries = 0;
      let finished = () => {};
      const done = new Promise<void>((resolve) => (finished = resolve));
      const started = performance.now();
      await Promise.all(
        Array.from({ length: options.streams }, (_, i) =>
          subscriberOf(i).subscribe(`ceiling/${options.bodyBytes}`, () => {
            if (++deliveries === total) finished();
          }),
        ),
      );
      await Promise.race([done, sleep(options.timeoutMs)]);
      const durationMs = performance.now() - started;
      await Promise.all(connections.map((connection) => connection.close()));
      return {
        streams: options.streams,
        framesPerStream: options.frames,
        deliveries,
        durationMs,
        deliveriesPerSec: (deliveries * 1000) / durationMs,
        complete: deliveries === total,
      };
    },
    stop: () => service.stop(),
  };
}

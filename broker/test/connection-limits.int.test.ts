/**
 * Connection limits on a real broker over real gRPC: a connection with no call is closed after
 * HERALD_MAX_CONNECTION_IDLE_MS, one whose peer stops answering pings after the keepalive timeout,
 * and a call beyond HERALD_MAX_CONCURRENT_STREAMS on one connection does not start while the
 * others are open.
 */
import {
  type ClientReadableStream,
  connectivityState,
  credentials,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { BrokerClient, type MessageResponse } from "../api/gen/broker.ts";
import { MemoryStore } from "../store/memory/memory-store.ts";
import { TcpProxy } from "../../testing/tcp-proxy.ts";
import { until } from "../../testing/until.ts";
import { startTestBroker, uniqueSubject } from "./harness.ts";

const newStore = () => new MemoryStore({ maxMessagesPerSubject: 1000 });

describe("connection limits", () => {
  it("closes a connection that holds no call after the idle timeout", async () => {
    const broker = await startTestBroker(newStore(), { maxConnectionIdleMs: 300 });
    const client = new BrokerClient(broker.address, credentials.createInsecure());
    try {
      const channel = client.getChannel();
      await until(
        "a ready connection",
        () => channel.getConnectivityState(true) === connectivityState.READY,
        {
          timeoutMs: 10_000,
        },
      );
      // The server's GOAWAY takes the channel out of READY; without the option it stays READY.
      await until(
        "the idle connection closed",
        () => channel.getConnectivityState(false) !== connectivityState.READY,
        { timeoutMs: 10_000 },
      );
    } finally {
      client.close();
      await broker.stop();
    }
  });

  it("closes a connection whose peer stops answering keepalive pings, ending its calls", async () => {
    const broker = await startTestBroker(newStore(), {
      keepalive: { timeMs: 300, timeoutMs: 300 },
    });
    // The client reaches the broker through a proxy that can go silent, as a vanished host does.
    const [host = "", port = ""] = broker.address.split(":");
    const proxy = await TcpProxy.start(host, Number(port));
    const client = new BrokerClient(`127.0.0.1:${proxy.port}`, credentials.createInsecure());
    try {
      const call = client.subscribe({ subject: uniqueSubject("keepalive"), startId: 0 });
      call.on("error", () => undefined);
      await until(
        "the subscription open",
        async () => (await broker.metric("herald_subscribers")) === 1,
      );
      proxy.stall();
      await until(
        "the subscription of the silent peer ended",
        async () => (await broker.metric("herald_subscribers")) === 0,
        { timeoutMs: 10_000 },
      );
    } finally {
      proxy.resume();
      client.close();
      await proxy.close();
      await broker.stop();
    }
  });

  it("holds a call beyond the concurrent-stream limit of a connection until a stream ends", async () => {
    const broker = await startTestBroker(newStore(), { maxConcurrentStreams: 2 });
    const client = new BrokerClient(broker.address, credentials.createInsecure());
    const headed = new Set<number>();
    const failed = new Map<number, number>();
    const subscribe = (n: number): ClientReadableStream<MessageResponse> => {
      const call = client.subscribe({ subject: uniqueSubject(`limit${n}`), startId: 0 });
      call.on("metadata", () => headed.add(n));
      call.on("error", (err: ServiceError) => failed.set(n, err.code));
      return call;
    };
    try {
      const first = subscribe(1);
      subscribe(2);
      await until("two subscriptions registered", () => headed.size === 2, { timeoutMs: 10_000 });
      subscribe(3);
      // A bounded look: the client holds the third call while the server advertises no room.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect([...headed, ...failed.keys()]).toEqual([1, 2]);
      first.cancel();
      await until("the first stream ended", () => failed.has(1), { timeoutMs: 10_000 });
      // The held call then starts, or is refused by the server as the slot frees.
      await until("the third call settled", () => headed.has(3) || failed.get(3), {
        timeoutMs: 10_000,
      });
      expect(headed.has(3) || failed.get(3) === status.RESOURCE_EXHAUSTED).toBe(true);
      subscribe(4);
      await until("a fourth subscription registered", () => headed.has(4), { timeoutMs: 10_000 });
    } finally {
      client.close();
      await broker.stop();
    }
  });
});

import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { afterEach, expect, test } from "vitest";
import { TcpProxy } from "./tcp-proxy.ts";
import { until } from "./until.ts";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** An echo server on 127.0.0.1 behind a fresh proxy. */
async function echoBehindProxy(): Promise<TcpProxy> {
  // The proxy resets connections on purpose: a reset is expected on either side.
  const server = createServer((socket) => socket.on("error", () => undefined).pipe(socket));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
  const proxy = await TcpProxy.start("127.0.0.1", address.port);
  cleanup.push(() => proxy.close());
  return proxy;
}

const client = (port: number): Socket => connect(port, "127.0.0.1").on("error", () => undefined);

async function echo(socket: Socket, text: string): Promise<string> {
  socket.write(text);
  const [chunk] = (await once(socket, "data")) as [Buffer];
  return chunk.toString();
}

test("severAll resets open connections and keeps accepting new ones", async () => {
  const proxy = await echoBehindProxy();
  const first = client(proxy.port);
  expect(await echo(first, "hello")).toBe("hello");
  expect(proxy.connections).toBe(1);

  proxy.severAll();
  await until("the first connection closed", () => first.destroyed, { timeoutMs: 2_000 });
  expect(proxy.connections).toBe(0);

  const second = client(proxy.port);
  cleanup.push(() => Promise.resolve(void second.destroy()));
  expect(await echo(second, "again")).toBe("again");
});

test("cut refuses connections until restore, on the same port", async () => {
  const proxy = await echoBehindProxy();
  const port = proxy.port;
  await proxy.cut();
  const refused = connect(port, "127.0.0.1");
  const [err] = (await once(refused, "error")) as [NodeJS.ErrnoException];
  expect(err.code).toBe("ECONNREFUSED");

  await proxy.restore();
  expect(proxy.port).toBe(port);
  const back = client(port);
  cleanup.push(() => Promise.resolve(void back.destroy()));
  expect(await echo(back, "back")).toBe("back");
});

test("setLatency holds every chunk, both ways, in order, until set back to 0", async () => {
  const proxy = await echoBehindProxy();
  const socket = client(proxy.port);
  cleanup.push(() => Promise.resolve(void socket.destroy()));
  proxy.setLatency(150);
  const started = performance.now();
  let echoed = "";
  const received = new Promise<void>((resolve) =>
    socket.on("data", (chunk: Buffer) => {
      echoed += chunk.toString();
      if (echoed.length === 3) resolve();
    }),
  );
  for (const text of ["a", "b", "c"]) socket.write(text);
  await received;
  expect(echoed).toBe("abc");
  // A lower bound, not a timing goal: one wait on the way there and one on the way back.
  expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 150 - 5);

  proxy.setLatency(0);
  socket.removeAllListeners("data");
  expect(await echo(socket, "fast")).toBe("fast");
});

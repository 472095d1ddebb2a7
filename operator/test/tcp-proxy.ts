import { createServer, connect, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 in front of the API server (TLS passes through untouched), so a test
 * can cut every connection of the operator at once, as a network failure would.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    /** Connections open now (watches and pooled requests). */
    get connections(): number {
      return sockets.size / 2;
    },
    /** Resets every open connection; new ones are accepted again at once. */
    severAll(): void {
      for (const socket of sockets) socket.resetAndDestroy();
    },
    async close(): Promise<void> {
      this.severAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

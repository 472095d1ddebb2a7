/**
 * A fixed local address for a pod whose port-forward may change: each connection asks for the
 * forward's current port, so a client that reconnects after its pod was replaced reaches the
 * new pod at the address it already has.
 */
import { connect, createServer, type Socket } from "node:net";

export interface PodProxy {
  /** 127.0.0.1:port */
  readonly address: string;
  close(): Promise<void>;
}

export async function startPodProxy(upstreamPort: () => Promise<number>): Promise<PodProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server = createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    upstreamPort().then(
      (port) => {
        if (client.destroyed) return;
        const upstream = connect(port, "127.0.0.1");
        track(upstream);
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
        client.pipe(upstream).pipe(client);
      },
      // No forward to the pod now (not yet running, say): the client sees a closed connection and retries.
      () => client.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const bound = server.address();
  const port = typeof bound === "object" && bound ? bound.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

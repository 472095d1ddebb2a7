import { once } from "node:events";
import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for servers whose address must be known
 * before they start or that cannot be told to pick their own.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * `count` consecutive TCP ports on 127.0.0.1 that were free a moment ago, for a broker's workers
 * (worker i listens on base + i). Bounded: a few dozen random bases are tried.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const servers = [];
    try {
      for (let offset = 0; offset < count; offset += 1) {
        const server = createServer();
        servers.push(server);
        server.listen(base + offset, "127.0.0.1");
        await once(server, "listening");
      }
      return base;
    } catch {
      // A port of the range is taken: try another base.
    } finally {
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
    }
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

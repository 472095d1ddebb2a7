import { once } from "node:events";
import { createServer } from "node:net";

/**
 * Ports handed out lie below the kernel's ephemeral range (32768–60999 by default), which the
 * tests' own outgoing connections take their source ports from: a port picked there could be taken
 * by a connection between the pick and the server's bind. Each vitest worker walks its own slot.
 */
const firstPort = 20_000;
const slotPorts = 1_024;
const slots = 12;
const slotBase = firstPort + (Number(process.env.VITEST_POOL_ID ?? 0) % slots) * slotPorts;
let nextInSlot = Math.floor(Math.random() * slotPorts);

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, "127.0.0.1");
  try {
    await once(server, "listening");
  } catch {
    return false;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return true;
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for servers whose address must be known
 * before they start or that cannot be told to pick their own.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < slotPorts; attempt += 1) {
    const port = slotBase + (nextInSlot++ % slotPorts);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${slotBase}–${slotBase + slotPorts - 1}`);
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

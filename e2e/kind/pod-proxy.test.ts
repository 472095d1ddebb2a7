import { createServer, connect, type Server } from "node:net";
import { afterEach, expect, test } from "vitest";
import { startPodProxy, type PodProxy } from "./pod-proxy.ts";

/** A stand-in for a port-forward: echoes with its name in front. */
async function upstream(name: string): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) =>
    socket.on("data", (d) => socket.write(`${name}:${d.toString()}`)),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { port: typeof address === "object" && address ? address.port : 0, server };
}

/** Sends `text` through `address` and resolves the first reply, or "closed". */
function exchange(address: string, text: string): Promise<string> {
  const [host = "", port = ""] = address.split(":");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host);
    socket.setEncoding("utf8");
    socket.once("data", (reply: string) => {
      socket.destroy();
      resolve(reply);
    });
    socket.once("close", () => resolve("closed"));
    socket.once("error", reject);
    socket.write(text);
  });
}

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

test("each connection reaches the upstream port current at the time it opens", async () => {
  const first = await upstream("a");
  const second = await upstream("b");
  cleanup.push(
    () => first.server.close(),
    () => second.server.close(),
  );
  let current = first.port;
  const proxy: PodProxy = await startPodProxy(() => Promise.resolve(current));
  cleanup.push(() => proxy.close());

  expect(proxy.address).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(await exchange(proxy.address, "hi")).toBe("a:hi");
  // The pod was replaced: same proxy address, the new forward behind it.
  current = second.port;
  expect(await exchange(proxy.address, "again")).toBe("b:again");
});

test("with no forward to be had the connection is closed, and the proxy keeps serving", async () => {
  const target = await upstream("a");
  cleanup.push(() => target.server.close());
  let failing = true;
  const proxy = await startPodProxy(() =>
    failing ? Promise.reject(new Error("pod is not running")) : Promise.resolve(target.port),
  );
  cleanup.push(() => proxy.close());

  expect(await exchange(proxy.address, "hi")).toBe("closed");
  failing = false;
  expect(await exchange(proxy.address, "hi")).toBe("a:hi");
});

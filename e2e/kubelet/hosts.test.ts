import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { renderHosts, writeHostsFile, type PodHost } from "./hosts.ts";

const pod = (hostname: string, ip: string, namespace = "shop"): PodHost => ({
  ip,
  namespace,
  hostname,
  subdomain: "orders-headless",
});

test("each pod resolves its own hostname and every pod's stable DNS name", () => {
  const pods = [
    pod("orders-0", "127.0.10.2"),
    pod("orders-1", "127.0.10.3"),
    pod("orders-0", "127.0.10.4", "other"),
    { ip: "127.0.10.5", namespace: "shop", hostname: "loose", subdomain: undefined },
  ];
  const [self] = pods;
  if (!self) throw new Error("no pod");
  expect(renderHosts(self, pods, "cluster.local").split("\n")).toEqual([
    "# Kubernetes-managed hosts file (process kubelet).",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "127.0.10.2\torders-0.orders-headless.shop.svc.cluster.local\torders-0",
    "127.0.10.4\torders-0.orders-headless.other.svc.cluster.local",
    "127.0.10.3\torders-1.orders-headless.shop.svc.cluster.local",
    "",
  ]);
});

test("the file is rewritten in place, and only when it changes", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hosts-test-"));
  try {
    const path = join(dir, "hosts");
    await writeFile(path, "old\n");
    const { ino, mtimeMs } = await stat(path);
    await writeHostsFile(path, "new\n");
    expect(await readFile(path, "utf8")).toBe("new\n");
    expect((await stat(path)).ino).toBe(ino); // a bind mount of the file sees the change
    const written = (await stat(path)).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeHostsFile(path, "new\n");
    expect((await stat(path)).mtimeMs).toBe(written);
    expect(written).toBeGreaterThanOrEqual(mtimeMs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

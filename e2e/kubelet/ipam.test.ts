import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { AddressPool } from "./ipam.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ipam-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const alive = new Set([100, 200]);
const pool = (pid: number) => new AddressPool({ dir, pid, isAlive: (other) => alive.has(other) });

test("hands out distinct addresses across pools and reuses released ones", async () => {
  const first = pool(100);
  const second = pool(200);
  const a = await first.allocate("pod-a");
  const b = await second.allocate("pod-b");
  const c = await first.allocate("pod-c");
  expect([a, b, c]).toEqual(["127.0.10.2", "127.0.10.3", "127.0.10.4"]);
  await first.release(a);
  expect(await second.allocate("pod-d")).toBe("127.0.10.2");
  expect((await readdir(dir)).sort()).toEqual(["127.0.10.2", "127.0.10.3", "127.0.10.4"]);
});

test("concurrent allocations never collide", async () => {
  const pools = [pool(100), pool(200)] as const;
  const addresses = await Promise.all(
    Array.from({ length: 40 }, (_, i) => pools[i % 2 === 0 ? 0 : 1].allocate(`pod-${i}`)),
  );
  expect(new Set(addresses).size).toBe(40);
});

test("an address held by a dead process is taken over; a live holder's is not", async () => {
  await writeFile(join(dir, "127.0.10.2"), JSON.stringify({ pid: 999, owner: "old" }));
  await writeFile(join(dir, "127.0.10.3"), JSON.stringify({ pid: 200, owner: "live" }));
  const mine = pool(100);
  expect(await mine.allocate("new")).toBe("127.0.10.2");
  expect(await mine.allocate("next")).toBe("127.0.10.4");
});

test("releaseAll removes only this pool's files", async () => {
  const mine = pool(100);
  const theirs = pool(200);
  await mine.allocate("a");
  await theirs.allocate("b");
  await mine.allocate("c");
  await mine.releaseAll();
  expect(await readdir(dir)).toEqual(["127.0.10.3"]);
});

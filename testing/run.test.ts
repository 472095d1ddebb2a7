import { expect, test } from "vitest";
import { EnvError } from "./env-error.ts";
import { run } from "./run.ts";

test("a failing command becomes one line naming the part, the cause and the remedy", async () => {
  const failing = run("sh", ["-c", "echo starting; echo 'jar 5.0.99 not found' >&2; exit 3"], {
    part: "cassandra",
    remedy: "set the version in e2e/env/cassandra/pom.xml",
  });
  await expect(failing).rejects.toBeInstanceOf(EnvError);
  const message = await failing.catch((err: Error) => err.message);
  expect(message.split("\n")).toHaveLength(1);
  expect(message).toMatch(/^cassandra: `sh -c` failed: jar 5\.0\.99 not found — set the version/);
});

test("a missing program is reported, not thrown as a raw spawn error", async () => {
  const message = await run("herald-no-such-program", [], {
    part: "etcd",
    remedy: "build it",
  }).catch((err: Error) => err.message);
  expect(message).toMatch(/^etcd: .*failed.* — build it$/);
});

test("output of a successful command is returned", async () => {
  await expect(run("sh", ["-c", "printf ok"], { part: "x", remedy: "y" })).resolves.toBe("ok");
});

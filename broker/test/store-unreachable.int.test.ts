/**
 * A broker whose store cannot be reached from the start says so: one warn line naming the store and
 * the cause, not repeated on every probe, and /readyz gives the cause. Before, it stayed unready
 * with no log line and `/readyz` said only `not ready`.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { freePort } from "../../testing/free-port.ts";
import { until } from "../../testing/until.ts";
import { type BrokerProcess, startBrokerProcess } from "./broker-process.ts";

const env = inject("testEnv");
let broker: BrokerProcess | undefined;

afterEach(async () => {
  if (broker !== undefined && broker.child.exitCode === null) {
    broker.child.kill("SIGKILL");
    await broker.exited;
  }
  broker = undefined;
});

const StoreUnavailableLine = z.looseObject({
  level: z.number(),
  msg: z.literal("store unavailable"),
  store: z.string(),
  err: z.looseObject({ message: z.string() }),
});

const storeUnavailableLines = (logs: readonly string[]) =>
  logs.flatMap((line) => {
    const parsed = StoreUnavailableLine.safeParse(line.startsWith("{") ? JSON.parse(line) : line);
    return parsed.success ? [parsed.data] : [];
  });

/** The test environment's PostgreSQL URL with one part changed. */
function postgresUrl(change: (url: URL) => void): string {
  const url = new URL(env.postgres.url);
  change(url);
  return url.toString();
}

const missingDatabase = `herald_missing_${randomUUID().slice(0, 8)}`;

describe("a store unreachable at startup", { timeout: 60_000 }, () => {
  it.each([
    [
      "a closed port",
      async () => {
        const port = await freePort();
        return postgresUrl((url) => {
          url.hostname = "127.0.0.1";
          url.port = String(port);
        });
      },
      /ECONNREFUSED 127\.0\.0\.1:\d+/,
    ],
    [
      "a missing database",
      () => Promise.resolve(postgresUrl((url) => (url.pathname = `/${missingDatabase}`))),
      new RegExp(`database "${missingDatabase}" does not exist`),
    ],
    [
      "an unresolvable host",
      () => Promise.resolve(postgresUrl((url) => (url.hostname = "nowhere.invalid"))),
      /ENOTFOUND nowhere\.invalid/,
    ],
  ])("%s: logs the cause once at warn and /readyz gives it", async (_, url, cause) => {
    const storeUrl = await url();
    broker = await startBrokerProcess({ HERALD_STORE: "postgres", HERALD_POSTGRES_URL: storeUrl });
    const { logs, httpUrl } = broker;
    await until("the store unavailable warning", () => storeUnavailableLines(logs).length > 0, {
      timeoutMs: 20_000,
    });
    const [warning] = storeUnavailableLines(logs);
    expect(warning).toMatchObject({ level: 40, store: "postgres" });
    expect(warning?.err.message).toMatch(cause);

    const readyz = await fetch(`${httpUrl}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.text()).toMatch(
      new RegExp(`^not ready: store unavailable: .*${cause.source}.*\\n$`),
    );

    // Probes go on every 500 ms; the warning is not repeated for each.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(storeUnavailableLines(logs)).toHaveLength(1);
    expect(logs.filter((line) => line.includes('"store still unavailable"'))).toEqual([]);
    const password = new URL(storeUrl).password;
    if (password !== "") expect(logs.join("\n")).not.toContain(password);
  });
});

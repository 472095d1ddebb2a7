import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { maxTimerMs } from "../lib/process/env.ts";
import {
  brokerEnvSchema,
  parseBrokerEnv,
  renderBrokerEnv,
  unknownBrokerVariables,
} from "./broker-env.ts";

describe("the broker's environment contract", () => {
  it("round-trips every rendered value through the broker's parser", () => {
    const values = {
      HERALD_GRPC_ADDR: { host: "::", port: 50051 },
      HERALD_STORE: "cassandra" as const,
      HERALD_CASSANDRA_CONTACT_POINTS: ["a:9042", "b:9042"],
      HERALD_BATCH_MAX_DELAY_MS: 0,
      HERALD_DEFAULT_EXPIRATION_SECONDS: 0,
      HERALD_MAX_EXPIRATION_SECONDS: 60,
      HERALD_CLUSTER_MEMBERS: { epoch: 3, members: [{ name: "a", address: "10.0.0.1:50051" }] },
    };
    expect(parseBrokerEnv(renderBrokerEnv(values))).toMatchObject(values);
  });

  it("bounds every duration to what a timer holds", () => {
    const durations = Object.keys(brokerEnvSchema.shape).filter((name) => name.endsWith("_MS"));
    expect(durations.length).toBeGreaterThan(5);
    for (const name of durations) {
      expect(parseBrokerEnv({ [name]: String(maxTimerMs) })).toHaveProperty(name, maxTimerMs);
      expect(() => parseBrokerEnv({ [name]: String(maxTimerMs + 1) })).toThrow(
        new RegExp(
          `^${name}: expected an integer from [01] to ${maxTimerMs}, got "${maxTimerMs + 1}"$`,
        ),
      );
    }
  });

  it.each([
    ["HERALD_MAX_MESSAGE_BYTES", 64 * 1024 * 1024],
    ["HERALD_BATCH_MAX_SIZE", 100_000],
    ["HERALD_SUBSCRIBER_BUFFER", 100_000],
    ["HERALD_PUBLISH_STREAM_MAX_INFLIGHT", 100_000],
    ["HERALD_PUBLISH_STREAM_MAX_INFLIGHT_BYTES", 1024 * 1024 * 1024],
    ["HERALD_MAX_PENDING_BYTES", 16 * 1024 * 1024 * 1024],
    ["HERALD_MAX_CONNECTION_PENDING_BYTES", 16 * 1024 * 1024 * 1024],
    ["HERALD_MAX_CONCURRENT_STREAMS", 10_000],
    ["HERALD_MAX_CONNECTION_IDLE_MS", 2 ** 31 - 1],
    ["HERALD_MEMORY_MAX_MESSAGES_PER_SUBJECT", 10_000_000],
    ["HERALD_DEFAULT_EXPIRATION_SECONDS", 2 ** 31 - 1],
    ["HERALD_MAX_EXPIRATION_SECONDS", 2 ** 31 - 1],
  ])("bounds %s at %i, and refuses to render past it", (name, max) => {
    expect(parseBrokerEnv({ [name]: String(max) })).toHaveProperty(name, max);
    expect(() => parseBrokerEnv({ [name]: String(max + 1) })).toThrow(
      `${name}: expected an integer`,
    );
    expect(() => renderBrokerEnv({ [name]: max + 1 })).toThrow();
  });

  it.each(["host:notaport", ":9042", "db:0", "db:65536", "[::1"])(
    "refuses the contact point %s at startup and at render",
    (point) => {
      expect(() =>
        parseBrokerEnv({ HERALD_CASSANDRA_CONTACT_POINTS: `ok.example:9042,${point}` }),
      ).toThrow(
        `HERALD_CASSANDRA_CONTACT_POINTS: expected host or host:port items (port 1 to 65535), got ${JSON.stringify(point)}`,
      );
      expect(() => renderBrokerEnv({ HERALD_CASSANDRA_CONTACT_POINTS: [point] })).toThrow();
    },
  );

  it("accepts host, host:port, bracketed and bare IPv6 contact points", () => {
    const points = ["c1.example", "c2.example:9042", "10.0.0.1:65535", "[::1]:9042", "fe80::1"];
    expect(parseBrokerEnv({ HERALD_CASSANDRA_CONTACT_POINTS: points.join(",") })).toHaveProperty(
      "HERALD_CASSANDRA_CONTACT_POINTS",
      points,
    );
  });

  it("reports unknown HERALD_* variables only", () => {
    expect(
      unknownBrokerVariables({ HERALD_STORE: "memory", HERALD_FUTURE: "1", PATH: "/bin" }),
    ).toEqual(["HERALD_FUTURE"]);
  });

  it("is documented variable by variable in broker/README.md", async () => {
    const readme = await readFile(join(import.meta.dirname, "../broker/README.md"), "utf8");
    const configuration = readme.slice(
      readme.indexOf("## Configuration"),
      readme.indexOf("## Retention"),
    );
    const undocumented = Object.keys(brokerEnvSchema.shape).filter(
      (name) => !configuration.includes(`\`${name}\``),
    );
    expect(undocumented).toEqual([]);
  });
});

import { describe, expect, test } from "vitest";
import { loadConfig } from "./config.ts";
import { EnvError } from "../../lib/process/env.ts";

describe("loadConfig", () => {
  test("defaults: all namespaces, leader election on, metrics on 0.0.0.0:8080", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      WATCH_NAMESPACE: [],
      LEADER_ELECTION: true,
      LEADER_ELECTION_NAME: "herald-operator",
      HERALD_HTTP_ADDR: { host: "0.0.0.0", port: 8080 },
      HERALD_LOG_LEVEL: "info",
      HERALD_MAX_CONCURRENT_RECONCILES: 4,
      HERALD_SCALING_STALL_AFTER_SECONDS: 300,
    });
    expect(config.HERALD_BROKER_IMAGE).toMatch(/^herald-broker:/);
  });

  test("a comma list of namespaces watches each of them", () => {
    expect(loadConfig({ WATCH_NAMESPACE: " team-a, team-b ,," }).WATCH_NAMESPACE).toEqual([
      "team-a",
      "team-b",
    ]);
  });

  test.each([
    [{ WATCH_NAMESPACE: "Team_A" }, /^WATCH_NAMESPACE: "Team_A" is not a namespace name$/],
    [{ LEADER_ELECTION: "yes" }, /^LEADER_ELECTION: /],
    [{ HERALD_HTTP_ADDR: "8080" }, /^HERALD_HTTP_ADDR: expected host:port/],
    [{ HERALD_LOG_LEVEL: "loud" }, /^HERALD_LOG_LEVEL: /],
    [
      { HERALD_MAX_CONCURRENT_RECONCILES: "0" },
      /^HERALD_MAX_CONCURRENT_RECONCILES: expected an integer from 1 to 64, got "0"$/,
    ],
    [
      { HERALD_MAX_CONCURRENT_RECONCILES: "1000" },
      /^HERALD_MAX_CONCURRENT_RECONCILES: expected an integer from 1 to 64, got "1000"$/,
    ],
    [
      { HERALD_SCALING_STALL_AFTER_SECONDS: "5m" },
      /^HERALD_SCALING_STALL_AFTER_SECONDS: expected an integer from 1 to 2147483/,
    ],
    // In milliseconds this is past what a timer holds: the stall check would fire at once.
    [
      { HERALD_SCALING_STALL_AFTER_SECONDS: "3000000" },
      /^HERALD_SCALING_STALL_AFTER_SECONDS: expected an integer from 1 to 2147483, got "3000000"$/,
    ],
  ])("a bad value is one line naming the variable: %o", (env, message) => {
    expect(() => loadConfig(env)).toThrow(EnvError);
    expect(() => loadConfig(env)).toThrow(message);
    try {
      loadConfig(env);
    } catch (err) {
      expect(String((err as Error).message).split("\n")).toHaveLength(1);
    }
  });
});

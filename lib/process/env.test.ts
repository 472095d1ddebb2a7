import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  EnvError,
  envBoolean,
  envEnum,
  envHostPort,
  envIdentifier,
  envInteger,
  envList,
  envMilliseconds,
  envText,
  envTimerSeconds,
  maxTimerMs,
  parseEnv,
  renderEnv,
  unknownVariables,
} from "./env.ts";

const schema = z.object({
  APP_PORT: envInteger(1, 65535).default(80),
  APP_DELAY_MS: envMilliseconds(0).optional(),
  APP_STALL_SECONDS: envTimerSeconds(1).optional(),
  APP_ADDR: envHostPort().default({ host: "0.0.0.0", port: 9000 }),
  APP_MODE: envEnum(["fast", "safe"]).default("safe"),
  APP_DEBUG: envBoolean().default(false),
  APP_NAME: envText().optional(),
  APP_SCHEMA: envIdentifier().optional(),
  APP_PEERS: envList().optional(),
});

describe("environment codecs", () => {
  it("decode what they encode", () => {
    const values = {
      APP_PORT: 8080,
      APP_DELAY_MS: 0,
      APP_ADDR: { host: "::1", port: 7000 },
      APP_MODE: "fast" as const,
      APP_DEBUG: true,
      APP_NAME: "orders",
      APP_SCHEMA: "herald_1",
      APP_PEERS: ["a:1", "b:2"],
    };
    const rendered = renderEnv(schema, values);
    expect(rendered).toEqual({
      APP_PORT: "8080",
      APP_DELAY_MS: "0",
      APP_ADDR: "[::1]:7000",
      APP_MODE: "fast",
      APP_DEBUG: "true",
      APP_NAME: "orders",
      APP_SCHEMA: "herald_1",
      APP_PEERS: "a:1,b:2",
    });
    expect(parseEnv(schema, rendered)).toEqual(values);
  });

  it("leave unset values out when rendering, and apply defaults when parsing", () => {
    expect(renderEnv(schema, { APP_PORT: 81, APP_NAME: undefined })).toEqual({ APP_PORT: "81" });
    expect(parseEnv(schema, { APP_NAME: "", APP_PEERS: " a , ,b " })).toEqual({
      APP_PORT: 80,
      APP_ADDR: { host: "0.0.0.0", port: 9000 },
      APP_MODE: "safe",
      APP_DEBUG: false,
      APP_PEERS: ["a", "b"],
    });
  });

  it("accept durations up to the longest a timer holds", () => {
    expect(
      parseEnv(schema, { APP_DELAY_MS: String(maxTimerMs), APP_STALL_SECONDS: "2147483" }),
    ).toMatchObject({ APP_DELAY_MS: maxTimerMs, APP_STALL_SECONDS: 2147483 });
    expect(2147483 * 1000).toBeLessThanOrEqual(maxTimerMs);
  });

  it("refuse to render a value the parser would refuse", () => {
    expect(() => renderEnv(schema, { APP_PORT: 0 })).toThrow();
    expect(() => renderEnv(schema, { APP_PORT: 65536 })).toThrow();
    expect(() => renderEnv(schema, { APP_DELAY_MS: maxTimerMs + 1 })).toThrow();
    expect(() => renderEnv(schema, { APP_SCHEMA: "Bad-Name" })).toThrow();
  });

  it.each([
    [{ APP_PORT: "0" }, 'APP_PORT: expected an integer from 1 to 65535, got "0"'],
    [{ APP_PORT: "65536" }, 'APP_PORT: expected an integer from 1 to 65535, got "65536"'],
    [{ APP_PORT: "1e3" }, 'APP_PORT: expected an integer from 1 to 65535, got "1e3"'],
    [
      { APP_PORT: "99999999999999999999" },
      'APP_PORT: expected an integer from 1 to 65535, got "99999999999999999999"',
    ],
    [{ APP_DELAY_MS: "-1" }, 'APP_DELAY_MS: expected an integer from 0 to 2147483647, got "-1"'],
    [
      { APP_DELAY_MS: "3000000000" },
      'APP_DELAY_MS: expected an integer from 0 to 2147483647, got "3000000000"',
    ],
    [
      { APP_STALL_SECONDS: "2147484" },
      'APP_STALL_SECONDS: expected an integer from 1 to 2147483, got "2147484"',
    ],
    [{ APP_ADDR: "host" }, 'APP_ADDR: expected host:port, got "host"'],
    [{ APP_MODE: "slow" }, 'APP_MODE: expected one of fast|safe, got "slow"'],
    [{ APP_DEBUG: "yes" }, 'APP_DEBUG: expected true or false, got "yes"'],
    [{ APP_SCHEMA: "A" }, 'APP_SCHEMA: expected a lowercase identifier (a-z, 0-9, _), got "A"'],
    [{ APP_PEERS: " , " }, 'APP_PEERS: expected a comma-separated list, got " , "'],
  ])("a bad value %o is one EnvError line naming the variable", (env, message) => {
    expect(() => parseEnv(schema, env)).toThrow(EnvError);
    expect(() => parseEnv(schema, env)).toThrow(message);
  });

  it("lists variables with the prefix that the schema does not define", () => {
    expect(
      unknownVariables(schema, { APP_PORT: "1", APP_NEW: "x", APPLE: "y", HOME: "/" }, "APP_"),
    ).toEqual(["APP_NEW"]);
  });
});

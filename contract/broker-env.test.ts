import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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

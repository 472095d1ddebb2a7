import { describe, expect, it } from "vitest";
import { CassandraStoreOptionsSchema } from "./options.ts";

const minimal = { contactPoints: ["127.0.0.1"], localDataCenter: "dc1" };

describe("CassandraStoreOptionsSchema", () => {
  it("fills defaults, managing its own schema", () => {
    expect(CassandraStoreOptionsSchema.parse(minimal)).toMatchObject({
      port: 9042,
      keyspace: "herald",
      manageSchema: true,
      replicationFactor: 1,
    });
  });

  it.each([
    { ...minimal, contactPoints: [] },
    { ...minimal, localDataCenter: "" },
    { ...minimal, keyspace: "Herald" },
    { ...minimal, keyspace: "x; DROP KEYSPACE system" },
    { ...minimal, credentials: { username: "", password: "p" } },
  ])("rejects %j", (options) => {
    expect(CassandraStoreOptionsSchema.safeParse(options).success).toBe(false);
  });
});

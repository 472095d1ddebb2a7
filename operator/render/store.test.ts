import { describe, expect, it } from "vitest";
import { brokerFixture, externalCassandraSpec, managedPostgresSpec } from "../test/fixtures.ts";
import { managedCassandra, managedPostgres, resolveStore } from "./store.ts";

describe("resolveStore", () => {
  it("tags memory, managed and external stores", () => {
    expect(resolveStore(brokerFixture().spec.storage)).toEqual({ type: "memory" });
    expect(resolveStore(brokerFixture(managedPostgresSpec).spec.storage)).toMatchObject({
      type: "postgres",
      managed: { storage: "10Gi" },
    });
    expect(resolveStore(brokerFixture(externalCassandraSpec).spec.storage)).toMatchObject({
      type: "cassandra",
      external: { localDataCenter: "eu-west" },
    });
  });

  it("throws on a spec the CEL rules would have refused", () => {
    const both = brokerFixture({
      storage: {
        type: "postgres",
        postgres: { managed: {}, external: { host: "db", credentialsSecret: { name: "s" } } },
      },
    });
    expect(() => resolveStore(both.spec.storage)).toThrow(
      "storage.postgres needs exactly one of managed or external",
    );
    expect(() =>
      resolveStore(brokerFixture({ storage: { type: "cassandra" } }).spec.storage),
    ).toThrow("storage.cassandra");
  });

  it("hands out the managed block only for a managed store", () => {
    expect(managedPostgres(brokerFixture(managedPostgresSpec).spec.storage).version).toBe("17");
    expect(() => managedCassandra(brokerFixture(managedPostgresSpec).spec.storage)).toThrow(
      "not a managed Cassandra",
    );
  });
});

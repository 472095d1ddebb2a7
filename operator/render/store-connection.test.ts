import { describe, expect, it } from "vitest";
import { storeConnection } from "./store-connection.ts";
import {
  brokerFixture,
  externalCassandraSpec,
  externalPostgresSpec,
  managedCassandraSpec,
  managedPostgresSpec,
} from "../test/fixtures.ts";

const secretRef = (name: string, key: string) => ({ valueFrom: { secretKeyRef: { name, key } } });

describe("storeConnection", () => {
  it("needs nothing for memory", () => {
    expect(storeConnection(brokerFixture())).toEqual({
      config: { HERALD_STORE: "memory" },
      credentialEnv: [],
    });
  });

  it("points at the managed PostgreSQL Service, with credentials from its generated Secret", () => {
    expect(storeConnection(brokerFixture(managedPostgresSpec))).toEqual({
      config: {
        HERALD_STORE: "postgres",
        HERALD_POSTGRES_URL: "postgres://orders-postgres.shop.svc:5432/herald",
      },
      credentialEnv: [
        { name: "PGUSER", ...secretRef("orders-postgres-credentials", "username") },
        { name: "PGPASSWORD", ...secretRef("orders-postgres-credentials", "password") },
      ],
    });
  });

  it("builds an external PostgreSQL URL from host, port and database", () => {
    const { config, credentialEnv } = storeConnection(brokerFixture(externalPostgresSpec));
    expect(config.HERALD_POSTGRES_URL).toBe("postgres://db.example:6432/events");
    expect(credentialEnv).toEqual([
      { name: "PGUSER", ...secretRef("pg", "username") },
      { name: "PGPASSWORD", ...secretRef("pg", "password") },
    ]);
  });

  it("defaults the external port and database, and brackets IPv6 hosts", () => {
    const broker = brokerFixture({
      storage: {
        type: "postgres",
        postgres: { external: { host: "fd00::1", credentialsSecret: { name: "pg" } } },
      },
    });
    expect(storeConnection(broker).config.HERALD_POSTGRES_URL).toBe(
      "postgres://[fd00::1]:5432/herald",
    );
  });

  it("passes an external URL through as given", () => {
    const url = "postgres://db.example/herald?sslmode=require";
    const broker = brokerFixture({
      storage: {
        type: "postgres",
        postgres: { external: { url, credentialsSecret: { name: "pg" } } },
      },
    });
    expect(storeConnection(broker).config.HERALD_POSTGRES_URL).toBe(url);
  });

  it("uses the managed Cassandra headless Service as contact point", () => {
    expect(storeConnection(brokerFixture(managedCassandraSpec))).toEqual({
      config: {
        HERALD_STORE: "cassandra",
        HERALD_CASSANDRA_CONTACT_POINTS: "orders-cassandra.shop.svc:9042",
        HERALD_CASSANDRA_LOCAL_DC: "dc1",
        HERALD_CASSANDRA_KEYSPACE: "herald",
      },
      credentialEnv: [],
    });
  });

  it("replicates a managed ring's keyspace on three nodes, or every node of a smaller ring", () => {
    const ring = (replicas: number) =>
      storeConnection(
        brokerFixture({ storage: { type: "cassandra", cassandra: { managed: { replicas } } } }),
      ).config.HERALD_CASSANDRA_REPLICATION_FACTOR;
    expect([1, 2, 3, 5].map(ring)).toEqual([undefined, "2", "3", "3"]);
  });

  it("passes external Cassandra settings, with credentials from the named keys", () => {
    expect(storeConnection(brokerFixture(externalCassandraSpec))).toEqual({
      config: {
        HERALD_STORE: "cassandra",
        HERALD_CASSANDRA_CONTACT_POINTS: "c1.example:9042,c2.example",
        HERALD_CASSANDRA_LOCAL_DC: "eu-west",
        HERALD_CASSANDRA_KEYSPACE: "herald",
      },
      credentialEnv: [
        { name: "HERALD_CASSANDRA_USERNAME", ...secretRef("cass", "user") },
        { name: "HERALD_CASSANDRA_PASSWORD", ...secretRef("cass", "pass") },
      ],
    });
  });
});

import { describe, expect, it } from "vitest";
import { formatHostPort } from "../lib/process/host-port.ts";
import { EnvError } from "../lib/process/env.ts";
import { loadConfig } from "./config.ts";

const failure = (env: NodeJS.ProcessEnv) => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvError);
    return (err as Error).message;
  }
  throw new Error("expected loadConfig to fail");
};

describe("loadConfig", () => {
  it("uses the documented defaults for an empty environment", () => {
    const config = loadConfig({});
    expect(config.grpcAddress).toEqual({ host: "0.0.0.0", port: 50051 });
    expect(config.httpAddress).toEqual({ host: "0.0.0.0", port: 9464 });
    expect(config.store.kind).toBe("memory");
    expect(config.maxMessageBytes).toBe(4 * 1024 * 1024);
    expect(config.logLevel).toBe("info");
    expect(config.batch.maxSize).toBeGreaterThan(0);
    expect(config.publishStreamMaxInflight).toBe(1024);
  });

  it("reads every store's connection variables", () => {
    expect(
      loadConfig({ HERALD_STORE: "postgres", HERALD_POSTGRES_URL: "postgres://h/db" }).store,
    ).toEqual({
      kind: "postgres",
      url: "postgres://h/db",
    });
    const cassandra = loadConfig({
      HERALD_STORE: "cassandra",
      HERALD_CASSANDRA_CONTACT_POINTS: "10.0.0.1:9042, 10.0.0.2:9042",
      HERALD_CASSANDRA_LOCAL_DC: "dc2",
      HERALD_CASSANDRA_KEYSPACE: "orders",
      HERALD_CASSANDRA_REPLICATION_FACTOR: "3",
    }).store;
    expect(cassandra).toMatchObject({
      kind: "cassandra",
      contactPoints: ["10.0.0.1:9042", "10.0.0.2:9042"],
      localDataCenter: "dc2",
      keyspace: "orders",
      replicationFactor: 3,
    });
  });

  it("parses numbers, addresses and log levels", () => {
    const config = loadConfig({
      HERALD_GRPC_ADDR: "[::1]:7000",
      HERALD_BATCH_MAX_SIZE: "64",
      HERALD_BATCH_MAX_DELAY_MS: "0",
      HERALD_MAX_MESSAGE_BYTES: "1024",
      HERALD_LOG_LEVEL: "debug",
      HERALD_PUBLISH_STREAM_MAX_INFLIGHT: "64",
    });
    expect(config.grpcAddress).toEqual({ host: "::1", port: 7000 });
    expect(formatHostPort(config.grpcAddress)).toBe("[::1]:7000");
    expect(config.batch).toEqual({ maxSize: 64, maxDelayMs: 0 });
    expect(config.maxMessageBytes).toBe(1024);
    expect(config.logLevel).toBe("debug");
    expect(config.publishStreamMaxInflight).toBe(64);
  });

  it.each([
    [
      { HERALD_BATCH_MAX_SIZE: "abc" },
      'HERALD_BATCH_MAX_SIZE: expected an integer from 1 to 100000, got "abc"',
    ],
    [
      { HERALD_BATCH_MAX_SIZE: "0" },
      'HERALD_BATCH_MAX_SIZE: expected an integer from 1 to 100000, got "0"',
    ],
    [
      { HERALD_BATCH_MAX_DELAY_MS: "-1" },
      'HERALD_BATCH_MAX_DELAY_MS: expected an integer from 0 to 2147483647, got "-1"',
    ],
    [
      { HERALD_MAX_MESSAGE_BYTES: "1.5" },
      'HERALD_MAX_MESSAGE_BYTES: expected an integer from 1 to 67108864, got "1.5"',
    ],
    [
      { HERALD_MAX_MESSAGE_BYTES: "67108865" },
      'HERALD_MAX_MESSAGE_BYTES: expected an integer from 1 to 67108864, got "67108865"',
    ],
    [
      { HERALD_PUBLISH_STREAM_MAX_INFLIGHT: "0" },
      'HERALD_PUBLISH_STREAM_MAX_INFLIGHT: expected an integer from 1 to 100000, got "0"',
    ],
    [
      { HERALD_SUBSCRIBER_BUFFER: "1000000" },
      'HERALD_SUBSCRIBER_BUFFER: expected an integer from 1 to 100000, got "1000000"',
    ],
    [
      { HERALD_MEMORY_MAX_MESSAGES_PER_SUBJECT: "100000000" },
      'HERALD_MEMORY_MAX_MESSAGES_PER_SUBJECT: expected an integer from 1 to 10000000, got "100000000"',
    ],
    // Each of these became a 1 ms timer in Node.
    [
      { HERALD_STORE_TIMEOUT_MS: "3000000000" },
      'HERALD_STORE_TIMEOUT_MS: expected an integer from 1 to 2147483647, got "3000000000"',
    ],
    [
      { HERALD_MAX_CONNECTION_AGE_MS: "3000000000" },
      'HERALD_MAX_CONNECTION_AGE_MS: expected an integer from 0 to 2147483647, got "3000000000"',
    ],
    [
      { HERALD_PURGE_INTERVAL_MS: "3000000000" },
      'HERALD_PURGE_INTERVAL_MS: expected an integer from 1 to 2147483647, got "3000000000"',
    ],
    [
      { HERALD_SHUTDOWN_GRACE_MS: "3000000000" },
      'HERALD_SHUTDOWN_GRACE_MS: expected an integer from 1 to 2147483647, got "3000000000"',
    ],
    [
      { HERALD_MAX_EXPIRATION_SECONDS: "2147483648" },
      'HERALD_MAX_EXPIRATION_SECONDS: expected an integer from 1 to 2147483647, got "2147483648"',
    ],
    [{ HERALD_GRPC_ADDR: "localhost" }, 'HERALD_GRPC_ADDR: expected host:port, got "localhost"'],
    [
      { HERALD_HTTP_ADDR: "0.0.0.0:99999" },
      'HERALD_HTTP_ADDR: expected host:port, got "0.0.0.0:99999"',
    ],
    [
      { HERALD_STORE: "redis" },
      'HERALD_STORE: expected one of memory|postgres|cassandra, got "redis"',
    ],
    [
      { HERALD_LOG_LEVEL: "loud" },
      "HERALD_LOG_LEVEL: expected one of fatal|error|warn|info|debug|trace|silent, got",
    ],
    [{ HERALD_STORE: "postgres" }, "HERALD_POSTGRES_URL: required when HERALD_STORE=postgres"],
    [
      { HERALD_POSTGRES_SCHEMA: "Bad-Name" },
      'HERALD_POSTGRES_SCHEMA: expected a lowercase identifier (a-z, 0-9, _), got "Bad-Name"',
    ],
    [
      { HERALD_STORE: "cassandra" },
      "HERALD_CASSANDRA_CONTACT_POINTS: required when HERALD_STORE=cassandra",
    ],
  ])("rejects %o with one line naming the variable", (env, expected) => {
    const message = failure(env);
    expect(message.startsWith(expected)).toBe(true);
    expect(message).not.toContain("\n");
  });
});

describe("cluster configuration", () => {
  it("defaults to this broker alone, named by POD_NAME", () => {
    const { cluster } = loadConfig({ POD_NAME: "orders-0" });
    expect(cluster).toEqual({
      self: "orders-0",
      membership: { kind: "static", members: undefined },
      handoffTimeoutMs: 5000,
      forwardTimeoutMs: 10_000,
      listenVariable: "HERALD_CLUSTER_ADDR",
    });
  });

  it("runs one process unless HERALD_WORKERS asks for more, whose own ports follow the bases", () => {
    expect(loadConfig({}).workers).toEqual({
      count: 1,
      index: undefined,
      grpcBase: { host: "0.0.0.0", port: 50100 },
      clusterBase: { host: "0.0.0.0", port: 50200 },
    });
    const env = { HERALD_WORKERS: "4", HERALD_WORKER_INDEX: "3" };
    expect(loadConfig(env).workers).toMatchObject({ count: 4, index: 3 });
    expect(() => loadConfig({ HERALD_WORKERS: "2", HERALD_WORKER_INDEX: "2" })).toThrow(
      "HERALD_WORKER_INDEX: must be below HERALD_WORKERS (2)",
    );
    expect(() => loadConfig({ HERALD_WORKERS: "65" })).toThrow(
      'HERALD_WORKERS: expected an integer from 1 to 64, got "65"',
    );
    expect(() =>
      loadConfig({ HERALD_WORKERS: "2", HERALD_WORKER_CLUSTER_ADDR: "127.0.0.1:0" }),
    ).toThrow("HERALD_WORKER_CLUSTER_ADDR: needs ports 0 to 1 for 2 workers");
  });

  it("watches the membership ConfigMap in POD_NAMESPACE when HERALD_MEMBERSHIP_CONFIGMAP is set", () => {
    const env = { HERALD_MEMBERSHIP_CONFIGMAP: "orders-membership", POD_NAMESPACE: "shop" };
    expect(loadConfig(env).cluster.membership).toEqual({
      kind: "kubernetes",
      namespace: "shop",
      configMap: "orders-membership",
    });
    expect(failure({ HERALD_MEMBERSHIP_CONFIGMAP: "orders-membership" })).toMatch(
      /^POD_NAMESPACE: /,
    );
  });

  it("takes static members from HERALD_CLUSTER_MEMBERS and names it when malformed", () => {
    expect(
      loadConfig({ HERALD_CLUSTER_MEMBERS: "a=127.0.0.1:1,b=127.0.0.1:2" }).cluster.membership,
    ).toEqual({
      kind: "static",
      members: {
        epoch: 1,
        members: [
          { name: "a", address: "127.0.0.1:1" },
          { name: "b", address: "127.0.0.1:2" },
        ],
      },
    });
    expect(failure({ HERALD_CLUSTER_MEMBERS: "a" })).toMatch(/^HERALD_CLUSTER_MEMBERS: /);
  });

  it("has no TLS and no authentication unless configured", () => {
    expect(loadConfig({}).security).toMatchObject({
      tls: undefined,
      authFile: undefined,
      jwt: undefined,
    });
  });

  it("reads the TLS files, which come as a certificate and key pair", () => {
    expect(
      loadConfig({
        HERALD_TLS_CERT_FILE: "/tls/tls.crt",
        HERALD_TLS_KEY_FILE: "/tls/tls.key",
        HERALD_TLS_CLUSTER_CA_FILE: "/tls/ca.crt",
      }).security.tls,
    ).toEqual({
      certFile: "/tls/tls.crt",
      keyFile: "/tls/tls.key",
      clientCaFile: undefined,
      clusterCaFile: "/tls/ca.crt",
    });
    expect(failure({ HERALD_TLS_CERT_FILE: "/tls/tls.crt" })).toMatch(/^HERALD_TLS_KEY_FILE: /);
    expect(failure({ HERALD_TLS_CLIENT_CA_FILE: "/ca.crt" })).toMatch(
      /^HERALD_TLS_CLIENT_CA_FILE: needs HERALD_TLS_CERT_FILE/,
    );
  });

  it("reads the JWT issuer with its audience and exactly one source of keys", () => {
    const issuer = {
      HERALD_JWT_ISSUER: "https://kubernetes.default.svc",
      HERALD_JWT_AUDIENCE: "herald",
    };
    expect(loadConfig({ ...issuer, HERALD_JWT_JWKS_FILE: "/jwks.json" }).security.jwt).toEqual({
      issuer: "https://kubernetes.default.svc",
      audience: "herald",
      jwks: { kind: "file", path: "/jwks.json" },
      permissionsClaim: "herald",
    });
    expect(
      loadConfig({
        ...issuer,
        HERALD_JWT_JWKS_URL: "https://kubernetes.default.svc/openid/v1/jwks",
        HERALD_JWT_JWKS_CA_FILE: "/ca.crt",
      }).security.jwt?.jwks,
    ).toEqual({
      kind: "url",
      url: "https://kubernetes.default.svc/openid/v1/jwks",
      caFile: "/ca.crt",
    });
    expect(failure({ HERALD_JWT_ISSUER: "x", HERALD_JWT_JWKS_FILE: "/j" })).toMatch(
      /^HERALD_JWT_AUDIENCE: /,
    );
    expect(failure(issuer)).toMatch(/^HERALD_JWT_JWKS_FILE: /);
    expect(
      failure({ ...issuer, HERALD_JWT_JWKS_FILE: "/j", HERALD_JWT_JWKS_URL: "https://x/jwks" }),
    ).toMatch(/^HERALD_JWT_JWKS_URL: /);
    expect(failure({ ...issuer, HERALD_JWT_JWKS_URL: "not a url" })).toMatch(/expected a URL/);
    expect(failure({ HERALD_JWT_AUDIENCE: "herald" })).toMatch(/needs HERALD_JWT_ISSUER/);
  });
});

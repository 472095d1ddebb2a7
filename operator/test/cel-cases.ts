import type { MessageBrokerSpecInput } from "../api/v1alpha1/index.ts";

/**
 * MessageBroker specs that the CRD's CEL rules accept or refuse, with the messages the API server
 * answers. The unit test evaluates them with a CEL interpreter; the integration test sends them
 * to a real API server.
 */
const secret = { name: "pg-credentials" };
const managedPostgres = { type: "postgres", postgres: { managed: {} } } as const;

export interface CelCase {
  name: string;
  spec: MessageBrokerSpecInput;
  old?: MessageBrokerSpecInput;
  metadataName?: string;
  /** The CEL message(s) the API server answers with; none means accepted. */
  rejectedWith?: string | string[];
}

export const celCases: CelCase[] = [
  { name: "an empty spec (memory, one replica)", spec: {} },
  { name: "memory with 0 replicas", spec: { replicas: 0 } },
  {
    name: "memory with 3 replicas",
    spec: { replicas: 3 },
    rejectedWith:
      "storage.type memory keeps messages in one pod: replicas above 1 need postgres or cassandra",
  },
  { name: "managed postgres with 3 replicas", spec: { replicas: 3, storage: managedPostgres } },
  {
    name: "postgres without its block",
    spec: { replicas: 2, storage: { type: "postgres" } },
    rejectedWith: "storage.postgres is required when storage.type is postgres",
  },
  {
    name: "a postgres block on a memory store",
    spec: { storage: { type: "memory", postgres: { managed: {} } } },
    rejectedWith: "storage.postgres is set but storage.type is not postgres",
  },
  {
    name: "cassandra without its block",
    spec: { storage: { type: "cassandra" } },
    rejectedWith: "storage.cassandra is required when storage.type is cassandra",
  },
  {
    name: "a cassandra block on a postgres store",
    spec: { storage: { ...managedPostgres, cassandra: { managed: {} } } },
    rejectedWith: "storage.cassandra is set but storage.type is not cassandra",
  },
  {
    name: "postgres with both managed and external",
    spec: {
      storage: {
        type: "postgres",
        postgres: { managed: {}, external: { host: "db", credentialsSecret: secret } },
      },
    },
    rejectedWith: "storage.postgres: set exactly one of managed or external",
  },
  {
    name: "postgres with neither managed nor external",
    spec: { storage: { type: "postgres", postgres: {} } },
    rejectedWith: "storage.postgres: set exactly one of managed or external",
  },
  {
    name: "cassandra with both managed and external",
    spec: {
      storage: {
        type: "cassandra",
        cassandra: { managed: {}, external: { contactPoints: ["c1"], localDataCenter: "dc1" } },
      },
    },
    rejectedWith: "storage.cassandra: set exactly one of managed or external",
  },
  {
    name: "external cassandra",
    spec: {
      replicas: 3,
      storage: {
        type: "cassandra",
        cassandra: { external: { contactPoints: ["c1:9042"], localDataCenter: "dc1" } },
      },
    },
  },
  {
    name: "external postgres by host",
    spec: {
      storage: {
        type: "postgres",
        postgres: { external: { host: "db", port: 6432, credentialsSecret: secret } },
      },
    },
  },
  {
    name: "external postgres by url",
    spec: {
      storage: {
        type: "postgres",
        postgres: { external: { url: "postgres://db:5432/herald", credentialsSecret: secret } },
      },
    },
  },
  {
    name: "external postgres with url and host",
    spec: {
      storage: {
        type: "postgres",
        postgres: {
          external: { url: "postgres://db/herald", host: "db", credentialsSecret: secret },
        },
      },
    },
    rejectedWith: "storage.postgres.external: set exactly one of url or host",
  },
  {
    name: "external postgres with neither url nor host",
    spec: { storage: { type: "postgres", postgres: { external: { credentialsSecret: secret } } } },
    rejectedWith: "storage.postgres.external: set exactly one of url or host",
  },
  {
    name: "external postgres with url and port",
    spec: {
      storage: {
        type: "postgres",
        postgres: {
          external: { url: "postgres://db/herald", port: 5433, credentialsSecret: secret },
        },
      },
    },
    rejectedWith:
      "storage.postgres.external: port and database come from url; set them only with host",
  },
  {
    name: "external postgres url with credentials",
    spec: {
      storage: {
        type: "postgres",
        postgres: {
          external: { url: "postgres://herald:secret@db/herald", credentialsSecret: secret },
        },
      },
    },
    rejectedWith:
      "storage.postgres.external.url must not contain credentials; put them in credentialsSecret",
  },
  {
    name: "changing the storage type",
    old: {},
    spec: { storage: managedPostgres },
    rejectedWith: "storage.type is immutable: create a new MessageBroker to change the store",
  },
  {
    name: "keeping the storage type while scaling",
    old: { replicas: 1, storage: managedPostgres },
    spec: { replicas: 5, storage: managedPostgres },
  },
  {
    name: "rate limit on",
    spec: { rateLimit: { enabled: true, requestsPerSecond: 50, burst: 50 } },
  },
  {
    name: "a negative rate",
    spec: { rateLimit: { enabled: true, requestsPerSecond: -5 } },
    rejectedWith: "rateLimit.requestsPerSecond must be positive",
  },
  {
    name: "a zero burst",
    spec: { rateLimit: { enabled: true, requestsPerSecond: 1, burst: 0 } },
    rejectedWith: [
      "rateLimit.burst must be positive",
      "rateLimit.burst must be at least requestsPerSecond (the bucket refills requestsPerSecond tokens each second)",
    ],
  },
  {
    name: "a burst below the rate",
    spec: { rateLimit: { enabled: true, requestsPerSecond: 100, burst: 10 } },
    rejectedWith:
      "rateLimit.burst must be at least requestsPerSecond (the bucket refills requestsPerSecond tokens each second)",
  },
  {
    name: "the gateway on its own Service port",
    spec: { web: { enabled: true, service: { port: 80 } } },
  },
  {
    name: "the gateway on the client Service's gRPC port",
    spec: { web: { enabled: true, service: { port: 50051 } } },
    rejectedWith:
      "web.service.port must differ from the client Service's gRPC (50051) and metrics (9464) ports",
  },
  {
    name: "TLS from a cert-manager issuer",
    spec: { tls: { issuerRef: { name: "cluster-ca", kind: "ClusterIssuer" } } },
  },
  {
    name: "TLS from both an issuer and a Secret",
    spec: { tls: { issuerRef: { name: "cluster-ca" }, secretName: "orders-tls" } },
    rejectedWith: "tls.issuerRef and tls.secretName are alternatives: set at most one",
  },
  {
    name: "plaintext without authentication",
    spec: { tls: { enabled: false }, auth: { enabled: false } },
  },
  {
    name: "authentication over plaintext",
    spec: { tls: { enabled: false } },
    rejectedWith:
      "auth.enabled needs tls.enabled: tokens would cross the network in clear, and members prove they are members with certificates",
  },
  {
    name: "tracing with an endpoint",
    spec: { tracing: { enabled: true, endpoint: "http://jaeger:4317" } },
  },
  {
    name: "tracing without an endpoint",
    spec: { tracing: { enabled: true } },
    rejectedWith: "tracing.endpoint is required when tracing.enabled is true",
  },
  {
    name: "retention within bounds",
    spec: { retention: { defaultExpirationSeconds: 60, maxExpirationSeconds: 3600 } },
  },
  { name: "only a maximum expiry", spec: { retention: { maxExpirationSeconds: 3600 } } },
  {
    name: "a default expiry above the maximum",
    spec: { retention: { defaultExpirationSeconds: 7200, maxExpirationSeconds: 3600 } },
    rejectedWith: "retention.defaultExpirationSeconds must be between 1 and maxExpirationSeconds",
  },
  {
    name: "a never-expiring default under a maximum",
    spec: { retention: { defaultExpirationSeconds: 0, maxExpirationSeconds: 3600 } },
    rejectedWith: "retention.defaultExpirationSeconds must be between 1 and maxExpirationSeconds",
  },
  {
    name: "a name too long for the children",
    metadataName: "a".repeat(43),
    spec: {},
    rejectedWith:
      "metadata.name must be a DNS label of at most 42 characters (children append suffixes such as -cassandra)",
  },
  {
    name: "a dotted name (Services need DNS labels)",
    metadataName: "orders.eu",
    spec: {},
    rejectedWith:
      "metadata.name must be a DNS label of at most 42 characters (children append suffixes such as -cassandra)",
  },
];

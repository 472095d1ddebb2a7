import {
  messageBrokerSchema,
  type MessageBroker,
  type MessageBrokerSpecInput,
} from "../api/v1alpha1/index.ts";
import { defaultImages, type RenderContext } from "../render/context.ts";

/** A MessageBroker as the API server would return it: defaults applied. */
export function brokerFixture(spec: MessageBrokerSpecInput = {}, name = "orders"): MessageBroker {
  return messageBrokerSchema.parse({
    apiVersion: "herald.dev/v1alpha1",
    kind: "MessageBroker",
    metadata: {
      name,
      namespace: "shop",
      uid: "3f2a9c1e-0000-4000-8000-000000000001",
      generation: 1,
    },
    spec,
  });
}

/** Stand-in PEM text: renders copy it, never parse it (operator/pki has the real issuing tests). */
const fixturePki = {
  ca: { certificate: "CA CERTIFICATE PEM\n", privateKey: "CA KEY PEM\n" },
  previousCa: undefined,
  leaf: { certificate: "BROKER CERTIFICATE PEM\n", privateKey: "BROKER KEY PEM\n" },
  caBundle: "CA CERTIFICATE PEM\n",
  renewAt: new Date("2027-01-30T00:00:00Z"),
};

/** A broker without TLS or authentication, for tests about something else. */
export const plaintextSpec: MessageBrokerSpecInput = {
  tls: { enabled: false },
  auth: { enabled: false },
};

export function contextFixture(overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    images: { broker: "herald-broker:0.1.0", ...defaultImages },
    serviceMonitorCrdInstalled: true,
    certManagerInstalled: true,
    membership: { epoch: 1, members: [{ name: "orders-0", address: "10.1.0.5:50051" }] },
    statefulSetReplicas: 1,
    podWorkers: new Map(),
    postgresPassword: "s3cret-password",
    clusterDomain: "cluster.local",
    authFile: { users: [] },
    operatorPki: fixturePki,
    clientCaBundle: fixturePki.caBundle,
    ...overrides,
  };
}

export const managedPostgresSpec: MessageBrokerSpecInput = {
  storage: { type: "postgres", postgres: { managed: {} } },
};
export const managedCassandraSpec: MessageBrokerSpecInput = {
  storage: { type: "cassandra", cassandra: { managed: {} } },
};
export const externalPostgresSpec: MessageBrokerSpecInput = {
  storage: {
    type: "postgres",
    postgres: {
      external: {
        host: "db.example",
        port: 6432,
        database: "events",
        credentialsSecret: { name: "pg" },
      },
    },
  },
};
export const externalCassandraSpec: MessageBrokerSpecInput = {
  storage: {
    type: "cassandra",
    cassandra: {
      external: {
        contactPoints: ["c1.example:9042", "c2.example"],
        localDataCenter: "eu-west",
        credentialsSecret: { name: "cass", usernameKey: "user", passwordKey: "pass" },
      },
    },
  },
};

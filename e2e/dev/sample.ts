/**
 * The sample `make dev` deploys: a namespace, a Secret with the test environment's PostgreSQL
 * credentials, a MessageBroker whose brokers use that PostgreSQL as an external store and serve
 * the HTTP/WebSocket gateway, secure by default (TLS from the operator's CA, authentication), and
 * a MessageBrokerUser whose generated credentials the printed commands use.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { MessageBrokerSpecInput } from "../../operator/api/v1alpha1/index.ts";

export interface SampleOptions {
  namespace: string;
  name: string;
  replicas: number;
  /** The test environment's PostgreSQL URL; its user name goes into the Secret, not the CR. */
  postgresUrl: string;
  /** The database the sample uses, apart from the ones tests use. */
  database: string;
}

/** The sample's user: every verb on every subject, for trying things out. */
export const sampleUser = "dev";
export const sampleCredentialsSecret = `${sampleUser}-credentials`;

/** The test environment's PostgreSQL as a broker's external store, its credentials in `secretName`. */
export function testPostgresStorage(
  url: URL,
  database: string,
  secretName: string,
): NonNullable<MessageBrokerSpecInput["storage"]> {
  const port = Number(url.port || 5432);
  const external = { host: url.hostname, port, database, credentialsSecret: { name: secretName } };
  return { type: "postgres", postgres: { external } };
}

/**
 * The basic-auth Secret of the test environment's PostgreSQL user. It trusts loopback clients, so
 * the password is a placeholder.
 */
export function testPostgresSecret(url: URL, name: string, namespace: string): KubernetesObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace },
    type: "kubernetes.io/basic-auth",
    stringData: { username: decodeURIComponent(url.username) || "postgres", password: "test" },
  } as KubernetesObject;
}

export function sampleObjects(options: SampleOptions): KubernetesObject[] {
  const url = new URL(options.postgresUrl);
  const secretName = `${options.name}-postgres`;
  const spec: MessageBrokerSpecInput = {
    replicas: options.replicas,
    storage: testPostgresStorage(url, options.database, secretName),
    web: { enabled: true },
  };
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: options.namespace } },
    testPostgresSecret(url, secretName, options.namespace),
    {
      apiVersion: "herald.dev/v1alpha1",
      kind: "MessageBroker",
      metadata: { name: options.name, namespace: options.namespace },
      spec,
    } as KubernetesObject,
    {
      apiVersion: "herald.dev/v1alpha1",
      kind: "MessageBrokerUser",
      metadata: { name: sampleUser, namespace: options.namespace },
      spec: {
        broker: options.name,
        permissions: { publish: [">"], subscribe: [">"], fetch: [">"], consume: [">"] },
      },
    } as KubernetesObject,
  ];
}

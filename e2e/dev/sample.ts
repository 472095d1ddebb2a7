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

export function sampleObjects(options: SampleOptions): KubernetesObject[] {
  const url = new URL(options.postgresUrl);
  const secretName = `${options.name}-postgres`;
  const spec: MessageBrokerSpecInput = {
    replicas: options.replicas,
    storage: {
      type: "postgres",
      postgres: {
        external: {
          host: url.hostname,
          port: Number(url.port || 5432),
          database: options.database,
          credentialsSecret: { name: secretName },
        },
      },
    },
    web: { enabled: true },
  };
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: options.namespace } },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: secretName, namespace: options.namespace },
      type: "kubernetes.io/basic-auth",
      // The test environment's PostgreSQL trusts loopback clients; the password is a placeholder.
      stringData: { username: decodeURIComponent(url.username) || "postgres", password: "dev" },
    } as KubernetesObject,
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

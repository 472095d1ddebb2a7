import type { MessageBroker } from "../api/v1alpha1/index.ts";

/** Names of every child of a MessageBroker, in one place so renderers and the controller agree. */
export function childNames(broker: MessageBroker) {
  const name = broker.metadata.name;
  return {
    statefulSet: name,
    headlessService: `${name}-headless`,
    clientService: name,
    config: `${name}-config`,
    membership: `${name}-membership`,
    envoyConfig: `${name}-envoy`,
    serviceAccount: `${name}-broker`,
    role: `${name}-broker`,
    roleBinding: `${name}-broker`,
    podDisruptionBudget: name,
    networkPolicy: name,
    serviceMonitor: name,
    postgres: `${name}-postgres`,
    postgresCredentials: `${name}-postgres-credentials`,
    cassandra: `${name}-cassandra`,
    storageNetworkPolicy: `${name}-storage`,
    /** The brokers' auth file, rendered from the broker's MessageBrokerUsers. */
    auth: `${name}-auth`,
    /** The Kubernetes API server's signing keys, for ServiceAccount-token users. */
    jwks: `${name}-jwks`,
    /** The operator-managed cluster CA (certificate and key); never mounted into pods. */
    certificateAuthority: `${name}-ca`,
    /** The brokers' certificate, key and CA bundle (tls.crt, tls.key, ca.crt). */
    tls: `${name}-tls`,
  };
}

export type ChildNames = ReturnType<typeof childNames>;

/** Pod name of the broker with this ordinal (StatefulSet naming). */
export function brokerPodName(broker: MessageBroker, ordinal: number): string {
  return `${childNames(broker).statefulSet}-${ordinal}`;
}

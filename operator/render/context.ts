import type { AuthFile } from "../../contract/auth-file.ts";
import type { Membership } from "../../contract/membership.ts";
import type { ManagedPki } from "../pki/managed-pki.ts";

/**
 * Everything a render needs besides the MessageBroker itself. The controller gathers it from the
 * operator's configuration and the cluster, so that every render function stays pure.
 */
export interface RenderContext {
  images: {
    /** Broker image when spec.image is unset (the operator's own version). */
    broker: string;
    /** Envoy image of the rate-limit sidecar. */
    envoy: string;
    /** PostgreSQL image repository; the tag is spec.storage.postgres.managed.version. */
    postgres: string;
    /** Cassandra image repository; the tag is spec.storage.cassandra.managed.version. */
    cassandra: string;
  };
  /** Whether the monitoring.coreos.com ServiceMonitor CRD is installed. */
  serviceMonitorCrdInstalled: boolean;
  /** Whether cert-manager's Certificate CRD is installed (spec.tls.issuerRef needs it). */
  certManagerInstalled: boolean;
  /** The operator-managed CA and certificate, when spec.tls uses neither an issuer nor a Secret. */
  operatorPki?: ManagedPki;
  /** The membership the operator publishes now (docs/architecture.md#cluster-protocol). */
  membership: Membership;
  /**
   * Workers each existing broker pod runs (render/workers.ts runningWorkers), by pod name; empty
   * when no pod may run more than one, as the pods are read only then.
   */
  podWorkers: ReadonlyMap<string, number>;
  /** Replicas of the broker StatefulSet: spec.replicas, except mid-scale where the operator steps it. */
  statefulSetReplicas: number;
  /**
   * Password of the managed PostgreSQL, read from its existing Secret (`passwordFromSecret`) or
   * generated once (`generatePassword`) by the controller; required with managed PostgreSQL.
   */
  postgresPassword?: string;
  /** Cluster DNS domain, for the stable names in endpoints and seeds. */
  clusterDomain: string;
  /** The users of the auth file, from the broker's MessageBrokerUsers (operator/users). */
  authFile: AuthFile;
  /**
   * The API server as a JWT issuer of ServiceAccount tokens: its issuer
   * URL and current JWKS (JSON text), which the operator fetches and refreshes for every broker
   * with authentication.
   */
  serviceAccountIssuer?: { issuer: string; jwks: string };
  /** PEM CA bundle clients trust for the brokers' certificate; undefined while TLS is off or pending. */
  clientCaBundle?: string;
}

export const defaultImages = {
  envoy: "envoyproxy/envoy:v1.34.1",
  postgres: "postgres",
  cassandra: "cassandra",
} as const;

/**
 * What a scenario needs from a cluster, and nothing else: the local provider (process kubelet)
 * and the kind provider implement it, so both run the very same scenario code.
 */
export interface Provider {
  readonly name: string;
  /** The namespace the scenario works in; the operator watches it. */
  readonly namespace: string;
  /** kubectl against the provider's cluster, in `namespace`; resolves stdout, rejects on failure. */
  kubectl(args: readonly string[], stdin?: string): Promise<string>;
  /** host:port at which this process reaches a broker pod's gRPC listener. */
  podAddress(pod: string): Promise<string>;
  /** An external PostgreSQL as the pods reach it, with its credentials Secret already created. */
  readonly postgres: { host: string; port: number; database: string; credentialsSecret: string };
  /**
   * The PostgreSQL version (image tag) a managed-PostgreSQL MessageBroker asks for here; absent
   * where storage cannot run as pods (the process kubelet runs brokers only).
   */
  readonly managedPostgres?: { version: string };
  /**
   * The Cassandra version a managed-Cassandra MessageBroker asks for here, and the image the
   * operator then runs; absent where no Cassandra image is loaded.
   */
  readonly managedCassandra?: { version: string; image: string };
  /**
   * host:port at which this process reaches a Service's gRPC port; absent where Service
   * addresses are not routable from this process.
   */
  serviceAddress?(service: string): Promise<string>;
  /**
   * `kubectl port-forward` to a pod's port, through the API server and the kubelet; resolves the
   * 127.0.0.1 address once it listens. Absent where the scenario has no other route to check.
   */
  portForward?(pod: string, port: number): Promise<{ address: string; stop(): void }>;
  /** Kills the operator without any cleanup (SIGKILL, or deleting its pod) and starts a new one. */
  killOperator(): Promise<void>;
  /** Stops whatever the provider started; the cluster itself may stay. */
  stop(): Promise<void>;
}

import type { MessageBroker } from "../api/v1alpha1/index.ts";
import type { Workload } from "./workload.ts";

/** Everything a status is computed from: the broker and what one reconcile observed and did. */
export interface Observation {
  broker: MessageBroker;
  /** The broker StatefulSet, as cached; undefined before it exists. */
  brokers: Workload | undefined;
  /** How the brokers store messages, and the managed store's StatefulSet when there is one. */
  store:
    { kind: "memory" } | { kind: "external" } | { kind: "managed"; workload: Workload | undefined };
  /** monitoring.serviceMonitor.enabled while the ServiceMonitor CRD is missing. */
  serviceMonitorSkipped: boolean;
  /** tls.issuerRef while cert-manager's Certificate CRD is missing: the brokers have no certificate. */
  certificateSkipped: boolean;
  /** A broker's report that it cannot reach its store, with the cause, if one reports it. */
  storeUnavailable: string | undefined;
  /** Why this reconcile failed to apply or delete a child, if it did. */
  reconcileError: string | undefined;
  /** What a scale step has waited for past the stall threshold (operator/scaling/stall.ts), if one has. */
  scalingStall: string | undefined;
  membershipEpoch: number;
  clusterDomain: string;
}

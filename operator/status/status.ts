import type { Condition, MessageBrokerStatus } from "../api/v1alpha1/index.ts";
import { clientEndpoints } from "../render/client-service.ts";
import { securityStatus } from "./security.ts";
import { labelSelector } from "../render/metadata.ts";
import { desiredWorkers } from "../render/workers.ts";
import { withTransitionTime } from "./conditions.ts";
import { degraded } from "./degraded.ts";
import type { Observation } from "./observation.ts";
import { pausedProgressing, progressing } from "./progressing.ts";
import { phase } from "./phase.ts";
import { ready } from "./ready.ts";
import { storageReady } from "./storage-ready.ts";

/**
 * The status a reconcile reports, from what it observed. Pure: the same observation and previous
 * status give the same result, so an unchanged cluster produces no status write.
 */
export function computeStatus(observation: Observation, now: string): MessageBrokerStatus {
  const { broker, brokers } = observation;
  const previous = broker.status?.conditions;
  const generation = broker.metadata.generation;
  const storage = storageReady(observation);
  const states = {
    ready: ready(observation, storage),
    progressing: progressing(observation),
    degraded: degraded(observation),
  };
  const computed = [states.ready, states.progressing, states.degraded, storage].map((state) =>
    withTransitionTime(state, previous, generation, now),
  );
  const selector = labelSelector(broker, "broker");
  return {
    ...keptFields(broker.status),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    phase: phase({ ...states, brokersExist: brokers !== undefined }),
    replicas: brokers?.current ?? 0,
    readyReplicas: brokers?.ready ?? 0,
    workers: desiredWorkers(broker.spec),
    selector,
    endpoints: clientEndpoints(broker, observation.clusterDomain),
    security: securityStatus(broker),
    membershipEpoch: observation.membershipEpoch,
    conditions: mergeConditions(previous, computed),
  };
}

/**
 * While paused, the status stays as it was except for saying so: Progressing False/Paused
 * and phase Paused.
 */
export function pausedStatus(
  previous: MessageBrokerStatus | undefined,
  generation: number | undefined,
  now: string,
): MessageBrokerStatus {
  const paused = withTransitionTime(pausedProgressing, previous?.conditions, generation, now);
  return {
    ...previous,
    phase: "Paused",
    conditions: mergeConditions(previous?.conditions, [paused]),
  };
}

/** Fields other parts of the operator own (the scale orchestration of issue 6). */
function keptFields(status: MessageBrokerStatus | undefined): Partial<MessageBrokerStatus> {
  return status?.scaling ? { scaling: status.scaling } : {};
}

/** `computed` replaces conditions of the same type; others (Scaling) are kept, in order. */
function mergeConditions(
  previous: readonly Condition[] | undefined,
  computed: Condition[],
): Condition[] {
  const types = new Set(computed.map((condition) => condition.type));
  return [...computed, ...(previous ?? []).filter((condition) => !types.has(condition.type))];
}

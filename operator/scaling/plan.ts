import type { MessageBrokerStatus } from "../api/v1alpha1/index.ts";
import type { Workload } from "../status/workload.ts";

export type Scaling = NonNullable<MessageBrokerStatus["scaling"]>;
/** A scale step as planned; the reconcile adds the epoch it publishes (targetEpoch). */
export type PlannedScaling = Omit<Scaling, "targetEpoch" | "stepStartedAt"> & {
  stepStartedAt: string;
};

export interface ScalingInput {
  /** spec.replicas. */
  wanted: number;
  /** status.scaling as persisted by the last reconcile. */
  scaling: Scaling | undefined;
  /** The membership ConfigMap as published; undefined before the first one. */
  published: { epoch: number; members: number } | undefined;
  /** The broker StatefulSet as cached; undefined before it exists. */
  statefulSet: Workload | undefined;
  /** Epoch each published member reports, by ordinal (undefined: unreachable); read only when {@link awaitsEpochs}. */
  reportedEpochs: readonly (number | undefined)[] | undefined;
  /** metav1.Time of this reconcile: when a step that starts now started. */
  now: string;
}

export interface ScalingPlan {
  statefulSetReplicas: number;
  /** Broker pods (ordinals 0..members-1) in the membership to publish. */
  members: number;
  scaling: PlannedScaling | undefined;
  /** Brokers' epochs have no watch: poll them while waiting. */
  pollEpochs: boolean;
}

/**
 * Whether the plan will look at the brokers' reported epochs: the membership already lists the
 * wanted pods and a scale is still to be finished (or extra pods are still to be removed).
 */
export function awaitsEpochs(input: Omit<ScalingInput, "reportedEpochs" | "now">): boolean {
  const { wanted, scaling, published, statefulSet } = input;
  if (!published || !statefulSet || published.members !== wanted) return false;
  return scaling !== undefined || statefulSet.desired > wanted;
}

/**
 * The next step of an operator-orchestrated scale (docs/architecture.md#scaling), from the cluster alone so that a
 * restarted operator resumes where the last one stopped:
 * - up: raise the StatefulSet, wait for the new pods Ready, publish them, wait for the epoch;
 * - down: publish the membership without the leaving pods, wait until every remaining broker
 *   reports that epoch, then lower the StatefulSet.
 * A changed `replicas` mid-way simply plans from where the membership is now, which cancels.
 */
export function planScaling(input: ScalingInput): ScalingPlan {
  const { wanted, scaling, published, statefulSet, reportedEpochs, now } = input;
  // First creation: every initial pod is a member of epoch 1; nothing moves between brokers.
  if (!published || !statefulSet) {
    return { statefulSetReplicas: wanted, members: wanted, scaling: undefined, pollEpochs: false };
  }
  const current = published.members;
  const from = (fallback: number) =>
    scaling !== undefined && scaling.to === wanted ? scaling.from : fallback;
  // The same step keeps its start (a status written before stepStartedAt existed starts it now).
  const step = (start: number, name: PlannedScaling["step"]): PlannedScaling => {
    const same = scaling?.from === start && scaling.to === wanted && scaling.step === name;
    const stepStartedAt = (same ? scaling.stepStartedAt : undefined) ?? now;
    return { from: start, to: wanted, step: name, stepStartedAt };
  };

  if (wanted > current) {
    const podsReady = statefulSet.desired === wanted && statefulSet.ready >= wanted;
    return podsReady
      ? {
          statefulSetReplicas: wanted,
          members: wanted,
          scaling: step(from(current), "AwaitingEpoch"),
          pollEpochs: true,
        }
      : {
          statefulSetReplicas: wanted,
          members: current,
          scaling: step(from(current), "AddingPods"),
          pollEpochs: false,
        };
  }
  if (wanted < current) {
    // Leaving pods stop owning subjects (and hand them off) while they still run.
    return {
      statefulSetReplicas: statefulSet.desired,
      members: wanted,
      scaling: step(from(current), "AwaitingEpoch"),
      pollEpochs: true,
    };
  }
  if (!awaitsEpochs(input)) {
    return { statefulSetReplicas: wanted, members: wanted, scaling: undefined, pollEpochs: false };
  }
  const start = from(Math.max(statefulSet.desired, current));
  const adopted =
    reportedEpochs !== undefined &&
    reportedEpochs.length >= wanted &&
    reportedEpochs
      .slice(0, wanted)
      .every((epoch) => epoch !== undefined && epoch >= published.epoch);
  if (!adopted) {
    return {
      statefulSetReplicas: statefulSet.desired,
      members: wanted,
      scaling: step(start, "AwaitingEpoch"),
      pollEpochs: true,
    };
  }
  if (statefulSet.desired > wanted || statefulSet.current > wanted) {
    return {
      statefulSetReplicas: wanted,
      members: wanted,
      scaling: step(start, "RemovingPods"),
      pollEpochs: false,
    };
  }
  return { statefulSetReplicas: wanted, members: wanted, scaling: undefined, pollEpochs: false };
}

import type { Membership } from "../../contract/membership.ts";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { brokerPodName } from "../render/index.ts";
import { membershipPods } from "./membership.ts";
import type { ScalingInput, ScalingPlan } from "../scaling/plan.ts";
import type { PodReadinessReader } from "../scaling/pod-readiness.ts";
import {
  epochWait,
  msUntilStalled,
  readyWait,
  stallMessage,
  terminationWait,
  type StepWait,
} from "../scaling/stall.ts";

export interface StallDeps {
  /** How long a scale step may wait before Degraded says so. */
  scalingStallAfterMs: number;
  podReadiness: PodReadinessReader;
}

/** One reconcile's scale step: what it was planned from, the plan, and the membership it publishes. */
export interface ScaleStep {
  broker: MessageBroker;
  input: ScalingInput;
  plan: ScalingPlan;
  membership: Membership;
}

/**
 * The Degraded message of a scale step that has waited past the threshold, naming the pods it
 * waits for; undefined while it has not. Pods are read only then, as nothing watches them.
 */
export async function scalingStall(step: ScaleStep, deps: StallDeps): Promise<string | undefined> {
  const { scaling } = step.plan;
  if (!scaling || msUntilStalled(scaling, step.input.now, deps.scalingStallAfterMs) > 0) {
    return undefined;
  }
  return stallMessage(scaling, await stepWait(step, deps.podReadiness), deps.scalingStallAfterMs);
}

async function stepWait(
  { broker, input, plan, membership }: ScaleStep,
  podReadiness: PodReadinessReader,
): Promise<StepWait> {
  const pods = (from: number, to: number) =>
    Array.from({ length: Math.max(0, to - from) }, (_, index) =>
      brokerPodName(broker, from + index),
    );
  switch (plan.scaling?.step) {
    case "AddingPods": {
      const names = pods(0, input.wanted);
      return readyWait(names, await podReadiness(broker.metadata.namespace, names));
    }
    case "RemovingPods":
      return terminationWait(pods(input.wanted, input.statefulSet?.current ?? input.wanted));
    default:
      return epochWait(membershipPods(membership), input.reportedEpochs, membership.epoch);
  }
}

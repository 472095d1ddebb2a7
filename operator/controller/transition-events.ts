import type { MessageBrokerStatus } from "../api/v1alpha1/index.ts";
import type { BrokerEvent } from "../kube/event-recorder.ts";

/** What one reconcile did to the broker StatefulSet. */
export interface StatefulSetChange {
  created: boolean;
  /** Replicas before and after, when the apply changed them. */
  scaled?: { from: number; to: number };
}

const degradedCondition = (status: MessageBrokerStatus | undefined) => {
  const degraded = status?.conditions?.find((condition) => condition.type === "Degraded");
  return degraded?.status === "True" ? degraded : undefined;
};
const degradedReason = (status: MessageBrokerStatus | undefined) =>
  degradedCondition(status)?.reason;

/**
 * The Events worth a human's attention: created, scaled, failed, recovered and a scale step
 * stalled. Each comes from a transition, so a steady state records none.
 */
export function transitionEvents(
  previous: MessageBrokerStatus | undefined,
  next: MessageBrokerStatus,
  change: StatefulSetChange,
  reconcileError: string | undefined,
): BrokerEvent[] {
  const events: BrokerEvent[] = [];
  if (change.created) {
    events.push({
      type: "Normal",
      reason: "Created",
      note: "Created the broker StatefulSet and its children.",
    });
  }
  if (change.scaled) {
    const { from, to } = change.scaled;
    events.push({
      type: "Normal",
      reason: "Scaled",
      note: `Scaled the broker StatefulSet from ${from} to ${to} replicas.`,
    });
  }
  const wasFailing = degradedReason(previous) === "ReconcileFailed";
  const isFailing = degradedReason(next) === "ReconcileFailed";
  if (isFailing && !wasFailing) {
    events.push({
      type: "Warning",
      reason: "ReconcileFailed",
      note: reconcileError ?? "Reconcile failed.",
    });
  }
  if (wasFailing && !isFailing) {
    events.push({ type: "Normal", reason: "Recovered", note: "Every child is applied again." });
  }
  const stall = degradedCondition(next);
  if (stall?.reason === "ScalingStalled" && degradedReason(previous) !== "ScalingStalled") {
    events.push({ type: "Warning", reason: "ScalingStalled", note: stall.message });
  }
  return events;
}

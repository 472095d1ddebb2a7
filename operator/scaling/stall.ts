import type { PlannedScaling } from "./plan.ts";

/** A broker pod a scale step waits for, and why it is not there yet ("unreachable", "CrashLoopBackOff"). */
export interface WaitingPod {
  name: string;
  detail: string | undefined;
}

/** What a step waits for: `pods` to do `until` ("become Ready", "report membership epoch 7"). */
export interface StepWait {
  pods: readonly WaitingPod[];
  until: string;
}

/** How often a stalled step is looked at again when no epoch poll drives it, to keep its message current. */
export const stalledRecheckMs = 10_000;

/** Names listed in a message; a scale of many pods says how many more. */
const listedPods = 5;

/** Milliseconds until the step counts as stalled; 0 once it does. `now` is a metav1.Time. */
export function msUntilStalled(scaling: PlannedScaling, now: string, stallAfterMs: number): number {
  return Math.max(0, Date.parse(scaling.stepStartedAt) + stallAfterMs - Date.parse(now));
}

/**
 * When to look at a scale step again even if nothing it watches changes: at the moment it would
 * stall (a pod that never gets Ready may change nothing the informers see), then periodically.
 */
export function stallCheckDelayMs(
  scaling: PlannedScaling,
  now: string,
  stallAfterMs: number,
): number {
  return msUntilStalled(scaling, now, stallAfterMs) || stalledRecheckMs;
}

/** The members (by ordinal) that do not yet report `epoch`: unreachable or still at an older one. */
export function epochWait(
  members: readonly string[],
  reported: readonly (number | undefined)[] | undefined,
  epoch: number,
): StepWait {
  const pods = members.flatMap((name, ordinal): WaitingPod[] => {
    // Epochs are read only once the membership is out; before that nothing is known of any pod.
    if (reported === undefined) return [{ name, detail: undefined }];
    const seen = reported[ordinal];
    if (seen !== undefined && seen >= epoch) return [];
    return [{ name, detail: seen === undefined ? "unreachable" : `at epoch ${seen}` }];
  });
  return { pods, until: `report membership epoch ${epoch}` };
}

/** The pods that are not Ready, from why each is not (undefined: Ready). */
export function readyWait(
  pods: readonly string[],
  notReady: readonly (string | undefined)[],
): StepWait {
  return {
    pods: pods.flatMap((name, index) => {
      const detail = notReady[index];
      return detail === undefined ? [] : [{ name, detail }];
    }),
    until: "become Ready",
  };
}

/** The pods a lowered StatefulSet still has. */
export function terminationWait(pods: readonly string[]): StepWait {
  return { pods: pods.map((name) => ({ name, detail: undefined })), until: "terminate" };
}

/**
 * The Degraded message of a stalled step. It names the start rather than the time waited, so
 * that the status stays the same (and is not rewritten) while the step keeps waiting.
 */
export function stallMessage(
  scaling: PlannedScaling,
  wait: StepWait,
  stallAfterMs: number,
): string {
  const pods = wait.pods.map(({ name, detail }) =>
    detail === undefined ? name : `${name} (${detail})`,
  );
  const shown =
    pods.length > listedPods
      ? [...pods.slice(0, listedPods), `${pods.length - listedPods} more`]
      : pods;
  const who = shown.length === 0 ? "the broker pods" : joinList(shown);
  return `Scale ${scaling.from}→${scaling.to} has waited over ${duration(stallAfterMs)} (since ${scaling.stepStartedAt}) for ${who} to ${wait.until}.`;
}

function joinList(items: readonly string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** 300 000 ms → "5m", 90 000 → "1m30s". */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const parts: [number, string][] = [
    [Math.floor(seconds / 3600), "h"],
    [Math.floor(seconds / 60) % 60, "m"],
    [seconds % 60, "s"],
  ];
  return (
    parts
      .filter(([value]) => value > 0)
      .map(([value, unit]) => `${value}${unit}`)
      .join("") || "0s"
  );
}

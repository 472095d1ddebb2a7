/**
 * What the web console shows of each subject (`GET /v1/subjects`): its last id and how many
 * messages this broker stored per second over the last minute. Fed by the publish path once a
 * batch is durable, so it counts the subjects this member owns (a cluster's other members count
 * theirs). Bounded: past `maxSubjects` the subject published least recently is forgotten.
 */
import type { MessageRecord } from "../store/message-store.ts";

/** Seconds of per-second counts kept per subject (the console's chart spans them). */
export const activityWindowSeconds = 60;
/** The rate is the mean over this many of the last whole seconds. */
const rateSeconds = 10;
const defaultMaxSubjects = 10_000;

interface Activity {
  lastId: number;
  /** Count per second, a ring indexed by the second's number modulo the window. */
  readonly counts: number[];
  /** The second the ring was last written at; older slots are stale. */
  second: number;
}

export interface SubjectActivityView {
  readonly subject: string;
  readonly lastId: number;
  /** Messages per second, the mean over the last 10 whole seconds. */
  readonly ratePerSecond: number;
  /** Messages stored in each of the last 60 seconds, oldest first, the current one last. */
  readonly perSecond: readonly number[];
}

export class SubjectActivity {
  readonly #subjects = new Map<string, Activity>();
  readonly #maxSubjects: number;
  /** The subject inserted last, so the last in the map's order. */
  #latest: string | undefined;

  constructor(maxSubjects = defaultMaxSubjects) {
    this.#maxSubjects = maxSubjects;
  }

  /** Counts a durable batch. */
  record(records: readonly MessageRecord[], nowMs = Date.now()): void {
    const second = Math.floor(nowMs / 1000);
    for (const { subject, id } of records) {
      let activity = this.#subjects.get(subject);
      if (activity === undefined) {
        activity = { lastId: 0, counts: new Array<number>(activityWindowSeconds).fill(0), second };
        if (this.#subjects.size >= this.#maxSubjects) this.#forgetOldest();
        this.#subjects.set(subject, activity);
      } else if (subject !== this.#latest) {
        // Re-inserted: the map's order is the order of last publish. A subject published to
        // again (each publish of a busy subject) is last already, and a delete per publish
        // would leave the map holes to rehash.
        this.#subjects.delete(subject);
        this.#subjects.set(subject, activity);
      }
      this.#latest = subject;
      advance(activity, second);
      activity.lastId = Math.max(activity.lastId, id);
      const slot = second % activityWindowSeconds;
      activity.counts[slot] = (activity.counts[slot] ?? 0) + 1;
    }
  }

  /** Every subject `visible` lets through, by name. */
  snapshot(visible: (subject: string) => boolean, nowMs = Date.now()): SubjectActivityView[] {
    const second = Math.floor(nowMs / 1000);
    const views: SubjectActivityView[] = [];
    for (const [subject, activity] of this.#subjects) {
      if (!visible(subject)) continue;
      advance(activity, second);
      const perSecond = Array.from(
        { length: activityWindowSeconds },
        (_, index) =>
          activity.counts[(second - activityWindowSeconds + 1 + index) % activityWindowSeconds] ??
          0,
      );
      const recent = perSecond.slice(-rateSeconds - 1, -1).reduce((sum, count) => sum + count, 0);
      views.push({
        subject,
        lastId: activity.lastId,
        ratePerSecond: recent / rateSeconds,
        perSecond,
      });
    }
    return views.sort((a, b) => a.subject.localeCompare(b.subject));
  }

  #forgetOldest(): void {
    const oldest = this.#subjects.keys().next();
    if (oldest.done !== true) this.#subjects.delete(oldest.value);
  }
}

/** Zeroes the slots of the seconds that passed since the ring was last written. */
function advance(activity: Activity, second: number): void {
  const passed = Math.min(second - activity.second, activityWindowSeconds);
  for (let step = 1; step <= passed; step++) {
    activity.counts[(activity.second + step) % activityWindowSeconds] = 0;
  }
  activity.second = Math.max(activity.second, second);
}

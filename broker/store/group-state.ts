/**
 * What a store keeps of consumer groups (broker/README.md#consumer-groups): each
 * group's settings, and per subject its cursor (every id below it was delivered
 * at least once) and its pending set (delivered, not yet acknowledged or
 * dead-lettered, with the attempt of the latest delivery). Acknowledged
 * messages are the ids below the cursor that are not pending.
 */

/** A group's settings, fixed when it is created. */
export interface GroupSettings {
  readonly name: string;
  /** The subject or pattern every member of the group consumes. */
  readonly pattern: string;
  readonly ackWaitMs: number;
  readonly maxDeliveries: number;
  /** 0 = messages published after creation; N = from id N of each matching subject. */
  readonly startId: number;
}

export interface PendingDelivery {
  readonly id: number;
  readonly attempt: number;
}

/** A group's state on one subject. */
export interface GroupPosition {
  readonly subject: string;
  /** The next id to deliver for the first time. */
  readonly cursor: number;
  readonly pending: readonly PendingDelivery[];
}

/**
 * One durable change. Changes are written in order; a batch holds at most one
 * pending change per (group, subject, id), so stores may apply them in any order.
 */
export type GroupChange =
  /** Raise the cursor (never lowers it). */
  | {
      readonly kind: "cursor";
      readonly group: string;
      readonly subject: string;
      readonly cursor: number;
    }
  /** The message is pending with this attempt. */
  | {
      readonly kind: "deliver";
      readonly group: string;
      readonly subject: string;
      readonly id: number;
      readonly attempt: number;
    }
  /** The message is no longer pending: acknowledged, dead-lettered or expired. */
  | {
      readonly kind: "settle";
      readonly group: string;
      readonly subject: string;
      readonly id: number;
    };

export interface GroupStateStore {
  /** Stores the group unless one of that name exists; returns the stored settings and whether they are new. */
  createGroup(settings: GroupSettings): Promise<{ settings: GroupSettings; created: boolean }>;
  /** Every group, for metrics and listings. */
  groups(): Promise<GroupSettings[]>;
  /** The group's state on every subject it has consumed. */
  groupPositions(group: string): Promise<GroupPosition[]>;
  /** Applies the changes; resolves when all are durable. */
  writeGroupChanges(changes: readonly GroupChange[]): Promise<void>;
  /** Every subject that has ever had a message. */
  subjects(): Promise<string[]>;
}

/** Keeps the last change per pending key and the highest cursor per subject, in first-seen order. */
export function collapseGroupChanges(changes: readonly GroupChange[]): GroupChange[] {
  const latest = new Map<string, GroupChange>();
  for (const change of changes) {
    const key =
      change.kind === "cursor"
        ? `c\u0000${change.group}\u0000${change.subject}`
        : `p\u0000${change.group}\u0000${change.subject}\u0000${change.id}`;
    const previous = latest.get(key);
    if (change.kind === "cursor" && previous?.kind === "cursor" && previous.cursor > change.cursor)
      continue;
    latest.delete(key);
    latest.set(key, change);
  }
  return [...latest.values()];
}

/** One position per subject from a store's cursor rows and pending rows. */
export function joinPositions(
  cursors: readonly { readonly subject: string; readonly cursor: number }[],
  pending: readonly { readonly subject: string; readonly id: number; readonly attempt: number }[],
): GroupPosition[] {
  const bySubject = new Map<string, { cursor: number; pending: PendingDelivery[] }>();
  const at = (subject: string) => {
    let position = bySubject.get(subject);
    if (position === undefined) {
      position = { cursor: 1, pending: [] };
      bySubject.set(subject, position);
    }
    return position;
  };
  for (const { subject, cursor } of cursors) at(subject).cursor = cursor;
  for (const { subject, id, attempt } of pending) at(subject).pending.push({ id, attempt });
  return [...bySubject].map(([subject, position]) => ({ subject, ...position }));
}

/**
 * What the broker tells the web console's read-only routes (`GET /v1/cluster`, `/v1/subjects`,
 * `/v1/groups`; console-routes.ts): the membership and health, the subjects it stores, retention,
 * and what each consumer group counts on this member. broker.ts assembles it.
 */
import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import type { ListGroupsRequest, ListGroupsResponse } from "../api/gen/broker.ts";
import type { ClusterSnapshot } from "../cluster/cluster-view.ts";
import type { Retention } from "../server/validation.ts";
import type { SubjectActivity } from "./subject-activity.ts";

/** A group's counts on this member since it started. */
export interface GroupActivity {
  /** Members joined on this member (on a cluster, every client member joins every member). */
  readonly members: number;
  readonly redelivered: number;
  readonly deadLettered: number;
}

export interface ConsoleSource {
  /**
   * Authenticates a call as the Broker service authenticates ListGroups, the call any principal
   * may make, answered here with nothing (no fan-out to the other members); it registers the
   * principal that `permits` (security/access-control.ts) reads. Undefined: no authentication.
   */
  readonly authenticate:
    | ((
        call: ServerUnaryCall<ListGroupsRequest, ListGroupsResponse>,
        callback: sendUnaryData<ListGroupsResponse>,
      ) => void)
    | undefined;
  cluster(): ClusterSnapshot;
  /** The member that owns `subject` in the adopted membership. */
  ownerOf(subject: string): string | undefined;
  /** Why the broker is not ready (draining, the store, no epoch), or undefined when it is. */
  notReadyReason(): string | undefined;
  readonly subjects: SubjectActivity;
  readonly retention: Retention;
  /** Per group name. */
  groupActivity(): Promise<ReadonlyMap<string, GroupActivity>>;
}

/**
 * ListGroups, the admin view of consumer groups (`herald groups`): each group's
 * settings and, per subject, what waits, what members hold and the lag. A member
 * reports the subjects it owns; on a cluster the member called merges every
 * member's answer. A caller sees only the groups it may consume.
 */
import type { sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js";
import { z } from "zod";
import type {
  GroupInfo,
  GroupSubject,
  ListGroupsRequest,
  ListGroupsResponse,
} from "../api/gen/broker.ts";
import type { Logger } from "../../lib/process/logger.ts";
import { permits } from "../security/access-control.ts";
import { type Admission, admit, callFailure } from "../server/broker-service.ts";
import { GroupNameSchema, parse } from "./consume-handler.ts";
import type { ConsumerGroups } from "./consumer-groups.ts";

export type ListGroupsHandler = (
  call: ServerUnaryCall<ListGroupsRequest, ListGroupsResponse>,
  callback: sendUnaryData<ListGroupsResponse>,
) => void;

const RequestSchema = z.object({ group: z.union([z.literal(""), GroupNameSchema]) });

export interface ListGroupsDeps {
  readonly groups: Pick<ConsumerGroups, "list">;
  readonly admission: () => Admission;
  readonly logger: Logger;
}

export function createListGroupsHandler(deps: ListGroupsDeps): ListGroupsHandler {
  return (call, callback) => {
    Promise.resolve()
      .then(async () => {
        admit(deps.admission());
        const { group } = parse(RequestSchema, call.request);
        const listings = await deps.groups.list(group === "" ? undefined : group);
        const groups = listings
          .filter(({ settings }) => permits(call, "consume", settings.pattern))
          .map(({ settings, subjects }): GroupInfo => ({
            group: settings.name,
            subject: settings.pattern,
            ackWaitMs: settings.ackWaitMs,
            maxDeliveries: settings.maxDeliveries,
            startId: settings.startId,
            subjects: [...subjects],
          }));
        return { groups };
      })
      .then(
        (response) => callback(null, response),
        (err: unknown) => callback(callFailure(deps.logger, "ListGroups", err)),
      );
  };
}

/**
 * One answer from every member's: a group's subjects are the union of what each member owns.
 * Around an ownership move two members may report a subject; the one with the larger lag stays.
 */
export function mergeGroupLists(answers: readonly ListGroupsResponse[]): ListGroupsResponse {
  const groups = new Map<string, { info: GroupInfo; subjects: Map<string, GroupSubject> }>();
  for (const answer of answers) {
    for (const info of answer.groups) {
      const merged = groups.get(info.group) ?? { info, subjects: new Map<string, GroupSubject>() };
      groups.set(info.group, merged);
      for (const subject of info.subjects) {
        const seen = merged.subjects.get(subject.subject);
        if (seen === undefined || subject.lag > seen.lag)
          merged.subjects.set(subject.subject, subject);
      }
    }
  }
  return {
    groups: [...groups.values()]
      .map(({ info, subjects }) => ({
        ...info,
        subjects: [...subjects.values()].sort((a, b) => compare(a.subject, b.subject)),
      }))
      .sort((a, b) => compare(a.group, b.group)),
  };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The gateway's JSON answers the console reads, checked as they arrive. */
import { array, boolean, nullable, number, object, string, type infer as Infer } from "zod/mini";

export const ErrorBody = object({ code: string(), message: string() });

export const ClusterBody = object({
  self: string(),
  epoch: number(),
  members: array(object({ name: string(), address: string(), self: boolean() })),
  health: object({ ready: boolean(), reason: nullable(string()) }),
  subjects: array(object({ subject: string(), owner: nullable(string()) })),
});
export type ClusterBody = Infer<typeof ClusterBody>;

export const SubjectsBody = object({
  retention: object({
    defaultExpirationSeconds: number(),
    maxExpirationSeconds: nullable(number()),
  }),
  windowSeconds: number(),
  subjects: array(
    object({
      subject: string(),
      lastId: number(),
      ratePerSecond: number(),
      perSecond: array(number()),
    }),
  ),
});
export type SubjectsBody = Infer<typeof SubjectsBody>;

const GroupSubject = object({
  subject: string(),
  pending: number(),
  ackPending: number(),
  lag: number(),
});

export const GroupsBody = object({
  groups: array(
    object({
      group: string(),
      subject: string(),
      ackWaitMs: number(),
      maxDeliveries: number(),
      startId: number(),
      members: number(),
      redelivered: number(),
      deadLettered: number(),
      pending: number(),
      ackPending: number(),
      lag: number(),
      subjects: array(GroupSubject),
    }),
  ),
});
export type GroupsBody = Infer<typeof GroupsBody>;

export const PublishedBody = object({ id: number() });

export const LoadLimitsBody = object({
  maxRatePerSecond: number(),
  maxBodyBytes: number(),
  maxDurationSeconds: number(),
});
export type LoadLimitsBody = Infer<typeof LoadLimitsBody>;

const Latency = nullable(object({ p50: number(), p99: number(), max: number() }));

/** One `progress` event of POST /v1/load: one second of the run. */
export const LoadProgress = object({
  second: number(),
  published: number(),
  delivered: number(),
  publishedTotal: number(),
  deliveredTotal: number(),
  latencyMs: Latency,
});
export type LoadProgress = Infer<typeof LoadProgress>;

/** The `done` event: the whole run. */
export const LoadSummary = object({
  published: number(),
  delivered: number(),
  seconds: number(),
  publishedPerSecond: number(),
  deliveredPerSecond: number(),
  latencyMs: Latency,
});
export type LoadSummary = Infer<typeof LoadSummary>;

/**
 * The Consume handler: the first frame must be `start`, which joins the member
 * to its group; every later frame is an ack. The stream's deliveries are bounded
 * by the member's max_in_flight, so writes need no buffer of their own. When
 * the stream ends for any reason the member leaves and what it held is
 * redelivered at once.
 */
import { Metadata, type ServerDuplexStream } from "@grpc/grpc-js";
import { z } from "zod";
import { isPattern, patternProblem } from "../../contract/subjects.ts";
import type { Logger } from "../../lib/process/logger.ts";
import { AckKind, type ConsumeRequest, type Delivery } from "../api/gen/broker.ts";
import { asBuffer } from "../api/wire.ts";
import { InvalidArgumentError, toGrpcStatus } from "../errors.ts";
import { authorize } from "../security/access-control.ts";
import { type Admission, admit, callFailure } from "../server/broker-service.ts";
import { subjectProblem } from "../server/validation.ts";
import {
  type AckRequest,
  type ConsumerGroups,
  groupDefaults,
  type GroupMember,
  type JoinRequest,
} from "./consumer-groups.ts";

export type ConsumeCall = ServerDuplexStream<ConsumeRequest, Delivery>;

/** Upper bounds that keep a member's memory and timers sane. */
const maxInFlightLimit = 65_536;
const maxAckWaitMs = 86_400_000;
const maxDeliveriesLimit = 1000;

const subjectOrPattern = z.string().superRefine((value, context) => {
  const problem = subjectProblem(value) ?? (isPattern(value) ? patternProblem(value) : undefined);
  if (problem !== undefined) context.addIssue({ code: "custom", message: problem });
});

/** Zero takes the default; the bound keeps timers and memory finite. */
const orDefault = (name: string, fallback: number, max: number) =>
  z
    .int()
    .max(max, `${name} must be at most ${max}`)
    .transform((value) => (value === 0 ? fallback : value));

export const GroupNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9_-]{1,64}$/,
    "group must be 1-64 characters of letters, digits, '_' or '-' (it names the subject $DLQ.<group>.<subject>)",
  );

const StartSchema = z.object({
  group: GroupNameSchema,
  subject: subjectOrPattern,
  maxInFlight: orDefault("max_in_flight", groupDefaults.maxInFlight, maxInFlightLimit),
  ackWaitMs: orDefault("ack_wait_ms", groupDefaults.ackWaitMs, maxAckWaitMs),
  maxDeliveries: orDefault("max_deliveries", groupDefaults.maxDeliveries, maxDeliveriesLimit),
  startId: z.int().min(0, "start_id must not be negative (0 = messages published from now on)"),
});

const ackKinds = { [AckKind.ACK]: "ack", [AckKind.NAK]: "nak", [AckKind.TERM]: "term" } as const;

const AckSchema = z.object({
  subject: z.string().min(1, "ack subject must not be empty"),
  id: z.int().min(1, "ack id must be a positive integer"),
  attempt: z.int().min(1, "ack attempt must be at least 1"),
  kind: z
    .union([z.literal(AckKind.ACK), z.literal(AckKind.NAK), z.literal(AckKind.TERM)], {
      error: "ack kind must be ACK, NAK or TERM",
    })
    .transform((kind) => ackKinds[kind]),
});

export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new InvalidArgumentError(result.error.issues[0]?.message ?? "invalid request");
  return result.data;
}

export const parseConsumeStart = (start: unknown): JoinRequest => {
  const { subject, ...rest } = parse(StartSchema, start);
  return { ...rest, pattern: subject };
};

export const parseAck = (ack: unknown): AckRequest => parse(AckSchema, ack);

export interface ConsumeDeps {
  readonly groups: Pick<ConsumerGroups, "join">;
  readonly admission: () => Admission;
  readonly logger: Logger;
}

export function createConsumeHandler(deps: ConsumeDeps): (call: ConsumeCall) => void {
  return (call) => {
    let member: GroupMember | undefined;
    let started = false;
    let ended = false;
    const finish = (err?: unknown) => {
      if (ended) return;
      ended = true;
      member?.leave();
      if (err === undefined) call.end();
      else call.emit("error", callFailure(deps.logger, "Consume", err));
    };

    const start = (request: ConsumeRequest) => {
      if (request.start === undefined)
        throw new InvalidArgumentError("the first ConsumeRequest must be start");
      admit(deps.admission());
      const join = parseConsumeStart(request.start);
      // The one permission check of a Consume stream, before the group is touched.
      authorize(call, "consume", join.pattern);
      started = true;
      deps.groups
        .join(join, {
          deliver: (delivery) =>
            call.write({ ...delivery, body: asBuffer(delivery.body) } satisfies Delivery),
          fail: (err) => {
            if (ended) return;
            ended = true;
            call.emit("error", toGrpcStatus(err));
          },
        })
        .then(
          (joined) => {
            if (ended) return joined.leave();
            member = joined;
            // Headers tell the client it has joined: deliveries follow.
            call.sendMetadata(new Metadata());
          },
          (err: unknown) => finish(err),
        );
    };

    call.on("data", (request: ConsumeRequest) => {
      if (ended) return;
      try {
        if (!started) return start(request);
        if (request.start !== undefined)
          throw new InvalidArgumentError("start may be sent only once, as the first frame");
        if (request.ack === undefined) throw new InvalidArgumentError("empty ConsumeRequest");
        // Acks sent before the join completed have nothing to settle yet.
        if (member === undefined) throw new InvalidArgumentError("ack before the group was joined");
        member.ack(parseAck(request.ack));
      } catch (err) {
        finish(err);
      }
    });
    // The client half-closed: it takes no more deliveries.
    call.on("end", () => finish());
    call.on("cancelled", () => {
      ended = true;
      member?.leave();
    });
    call.on("error", () => {
      ended = true;
      member?.leave();
    });
  };
}

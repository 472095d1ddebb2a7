/**
 * The JSON frames of GET /v1/ws (broker/README.md#http-gateway), checked with zod. A client names
 * each subscription or consumer (`sub`) and each publish (`ref`); the broker's frames echo them.
 */
import { z } from "zod";
import type { AckKind } from "../api/gen/broker.ts";
import type { BodyEncoding } from "./message-body.ts";

const maxInt32 = 2 ** 31 - 1;
/** Names the client chooses; bounded so a session's maps stay small. */
const handle = z.string().min(1, "must not be empty").max(64, "must be at most 64 characters");
const count = z.int().min(0).max(maxInt32);

const SubscribeFrame = z.strictObject({
  op: z.literal("subscribe"),
  sub: handle,
  subject: z.string(),
  /** 0 = live only; N = replay from id N, then live. */
  from: count.default(0),
});
const UnsubscribeFrame = z.strictObject({ op: z.literal("unsubscribe"), sub: handle });
const PublishFrame = z.strictObject({
  op: z.literal("publish"),
  ref: handle,
  subject: z.string(),
  body: z.string(),
  encoding: z.enum(["utf8", "base64"]).default("utf8"),
  ttl: count.default(0),
  key: z.string().default(""),
});
const ConsumeFrame = z.strictObject({
  op: z.literal("consume"),
  sub: handle,
  group: z.string(),
  subject: z.string(),
  maxInFlight: count.default(0),
  ackWaitMs: count.default(0),
  maxDeliveries: count.default(0),
  from: count.default(0),
});
const AckFrame = z.strictObject({
  op: z.literal("ack"),
  sub: handle,
  subject: z.string(),
  id: count,
  attempt: count,
  kind: z.enum(["ack", "nak", "term"]).default("ack"),
});

export const ClientFrame = z.discriminatedUnion("op", [
  SubscribeFrame,
  UnsubscribeFrame,
  PublishFrame,
  ConsumeFrame,
  AckFrame,
]);
export type ClientFrame = z.output<typeof ClientFrame>;
export type ConsumeFrame = z.output<typeof ConsumeFrame>;
export type AckFrame = z.output<typeof AckFrame>;

export const ackKinds: Readonly<Record<AckFrame["kind"], AckKind>> = { ack: 0, nak: 1, term: 2 };

export type ServerFrame =
  | { readonly op: "subscribed" | "joined"; readonly sub: string }
  | {
      readonly op: "message";
      readonly sub: string;
      readonly subject: string;
      readonly id: number;
      readonly body: string;
      readonly encoding: BodyEncoding;
    }
  | {
      readonly op: "delivery";
      readonly sub: string;
      readonly subject: string;
      readonly id: number;
      readonly attempt: number;
      readonly body: string;
      readonly encoding: BodyEncoding;
    }
  | { readonly op: "published"; readonly ref: string; readonly id: number }
  | { readonly op: "ended"; readonly sub: string }
  | {
      readonly op: "error";
      /** The frame it answers: a publish's `ref`, or the `sub` that ended with it; neither for a bad frame. */
      readonly ref?: string;
      readonly sub?: string;
      readonly status: number;
      readonly code: string;
      readonly message: string;
    };

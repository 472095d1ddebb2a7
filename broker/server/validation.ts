/**
 * Request validation (broker/README.md). The generated decoder guarantees field
 * types; these schemas check the values and turn the first problem into the
 * typed error whose status the client sees.
 */
import { z } from "zod";
import type { BrokerConfig } from "../config.ts";
import { InvalidArgumentError, MessageTooLargeError } from "../errors.ts";
import type { PublishInput } from "../publish/publisher.ts";

export const maxSubjectBytes = 255;

/** C0 controls, DEL and C1 controls: NUL breaks PostgreSQL text, and none of them shows in a log. */
const controlCharacter = /\p{Cc}/u;
/** The start of an empty token: a leading dot, a trailing dot or two dots in a row. */
const emptyToken = /(?:^|\.)(?=\.|$)/;
/** The decoder's stand-in for bytes that are not UTF-8: two byte strings would become one subject. */
const replacementCharacter = "\uFFFD";

const byteOffset = (value: string, index: number) => Buffer.byteLength(value.slice(0, index));
const codePoint = (character: string) =>
  `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * Why `value` cannot be a subject, or undefined: a subject is 1 to 255 bytes of valid UTF-8
 * without control characters, in dot-separated tokens none of which is empty
 * (broker/README.md#subjects).
 */
export function subjectProblem(value: string): string | undefined {
  if (value === "") return "subject must not be empty";
  const bytes = Buffer.byteLength(value);
  if (bytes > maxSubjectBytes) {
    return `subject is ${bytes} bytes; at most ${maxSubjectBytes} allowed`;
  }
  const control = controlCharacter.exec(value);
  if (control !== null) {
    return `subject has the control character ${codePoint(control[0])} at byte ${byteOffset(value, control.index)}`;
  }
  const replaced = value.indexOf(replacementCharacter);
  if (replaced !== -1) {
    return `subject is not valid UTF-8 (U+FFFD at byte ${byteOffset(value, replaced)})`;
  }
  const empty = emptyToken.exec(value);
  if (empty !== null) {
    return `subject has an empty token at byte ${byteOffset(value, empty.index + empty[0].length)}`;
  }
  return undefined;
}

const subject = z.string().check((ctx) => {
  const problem = subjectProblem(ctx.value);
  if (problem !== undefined) {
    ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
  }
});

/** Keys are stored with every keyed message: long enough for a UUID or a hash, and no longer. */
const maxIdempotencyKeyLength = 255;

const PublishSchema = z.object({
  subject,
  body: z.instanceof(Uint8Array),
  expirationSeconds: z.int().min(0, "expirationSeconds must not be negative (0 = never expires)"),
  idempotencyKey: z
    .string()
    .max(maxIdempotencyKeyLength, `idempotency_key is longer than ${maxIdempotencyKeyLength}`)
    .optional(),
});

/**
 * Whether PublishSchema would take `request` as it is, by the same rules (a subset: anything it
 * is unsure of goes to the schema). A valid publish, nearly every one, is then used as decoded,
 * without the schema's parse, which builds a new object and a dozen short-lived ones per message
 * and cost 2–4% of the broker's CPU on the publish paths; the schema still decides, and names
 * the problem, for the rest.
 */
function validAsDecoded(request: unknown): request is PublishInput {
  if (typeof request !== "object" || request === null) return false;
  if (!("subject" in request && "body" in request && "expirationSeconds" in request)) return false;
  const { subject, body, expirationSeconds } = request;
  const key = "idempotencyKey" in request ? request.idempotencyKey : undefined;
  return (
    typeof subject === "string" &&
    subjectProblem(subject) === undefined &&
    body instanceof Uint8Array &&
    Number.isSafeInteger(expirationSeconds) &&
    Number(expirationSeconds) >= 0 &&
    (key === undefined || (typeof key === "string" && key.length <= maxIdempotencyKeyLength))
  );
}

const FetchSchema = z.object({ subject, id: z.int().min(1, "id must be a positive integer") });
const SubscribeSchema = z.object({
  subject,
  startId: z.int().min(0, "start_id must not be negative (0 = live only)"),
});

function parse<T>(schema: z.ZodType<T>, request: unknown): T {
  const result = schema.safeParse(request);
  if (!result.success)
    throw new InvalidArgumentError(result.error.issues[0]?.message ?? "invalid request");
  return result.data;
}

export type Retention = BrokerConfig["retention"];

/**
 * The expiry a client's publish is stored with (broker/README.md#retention): 0 takes
 * the default, or else the maximum, or else never; more than the maximum is refused.
 * A negative value is left for the schema to refuse.
 */
export function resolveExpiration(expirationSeconds: number, retention: Retention): number {
  const { defaultExpirationSeconds, maxExpirationSeconds } = retention;
  if (expirationSeconds === 0) return defaultExpirationSeconds ?? maxExpirationSeconds ?? 0;
  if (maxExpirationSeconds !== undefined && expirationSeconds > maxExpirationSeconds) {
    throw new InvalidArgumentError(
      `expirationSeconds ${expirationSeconds} exceeds the maximum of ${maxExpirationSeconds} (spec.retention.maxExpirationSeconds)`,
    );
  }
  return expirationSeconds;
}

/**
 * Validates a publish. `retention` is given only where a client's request
 * arrives: a publish forwarded by another member already carries its resolved
 * expiry, in which 0 means never.
 */
export function parsePublish(
  request: unknown,
  maxMessageBytes: number,
  retention?: Retention,
): PublishInput {
  const input = validAsDecoded(request) ? request : parse(PublishSchema, request);
  if (input.body.byteLength > maxMessageBytes) {
    throw new MessageTooLargeError(input.body.byteLength, maxMessageBytes);
  }
  if (retention === undefined) return input;
  return { ...input, expirationSeconds: resolveExpiration(input.expirationSeconds, retention) };
}

export const parseFetch = (request: unknown) => parse(FetchSchema, request);

export const parseSubscribe = (request: unknown) => parse(SubscribeSchema, request);

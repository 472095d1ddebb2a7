/**
 * The console's load test (POST /v1/load; broker/README.md#web-console): what a caller may ask
 * for, bounded by the gateway's own maxima so that a browser cannot turn the broker into a load
 * generator of its choosing. A request above a maximum is refused, naming it.
 */
import { z } from "zod";
import { InvalidArgumentError } from "../errors.ts";

export interface LoadLimits {
  readonly maxRatePerSecond: number;
  readonly maxBodyBytes: number;
  readonly maxDurationSeconds: number;
}

/** The run tag and sequence number that start every body (load-run.ts). */
export const loadHeaderBytes = 8;

/**
 * At most 500 × 30 = 15,000 messages of up to 4 KiB (60 MiB) per run, one run at a time per
 * gateway; a body is never larger than the broker accepts.
 */
export const loadLimits = (maxMessageBytes: number): LoadLimits => ({
  maxRatePerSecond: 500,
  maxBodyBytes: Math.max(loadHeaderBytes, Math.min(4096, maxMessageBytes)),
  maxDurationSeconds: 30,
});

const bounded = (min: number, max: number, unit: string) =>
  z
    .int({ error: "must be an integer" })
    .min(min, `must be at least ${min}${unit}`)
    .max(max, `must be at most ${max}${unit}, the gateway's maximum`);

export const loadRequestSchema = (limits: LoadLimits) =>
  z.strictObject({
    subject: z.string({ error: "must be a string" }).min(1, "is required"),
    ratePerSecond: bounded(1, limits.maxRatePerSecond, " messages/s"),
    bodyBytes: bounded(loadHeaderBytes, limits.maxBodyBytes, " bytes"),
    durationSeconds: bounded(1, limits.maxDurationSeconds, " s"),
  });
export type LoadRequest = z.infer<ReturnType<typeof loadRequestSchema>>;

/** The request in a JSON body; InvalidArgumentError names the first field out of bounds. */
export function parseLoadRequest(body: Buffer, limits: LoadLimits): LoadRequest {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    throw new InvalidArgumentError(
      "the body must be JSON: {subject, ratePerSecond, bodyBytes, durationSeconds}",
    );
  }
  const result = loadRequestSchema(limits).safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join(".") || "body";
    throw new InvalidArgumentError(`${field}: ${issue?.message ?? "invalid"}`);
  }
  return result.data;
}

/**
 * Publish→deliver latency from this repository's Go client (bench/clients/latency): open loop at
 * a fixed offered rate against Herald (unary Publish, a live Subscribe) or core NATS. Its JSON
 * line is parsed with zod.
 */
import type { z } from "zod";
import { IndependentLatencySchema } from "../report/schema.ts";
import { timedRun } from "./timed-run.ts";

/** The client's JSON line: the result file's latency entry less what the bench adds. */
export const GoLatencySchema = IndependentLatencySchema.omit({
  target: true,
  serverCpuUsPerMessage: true,
  runtime: true,
});
export type GoLatency = z.infer<typeof GoLatencySchema>;

export interface GoLatencyRun {
  readonly mode: "herald" | "nats";
  readonly address: string;
  readonly subject: string;
  readonly rate: number;
  readonly durationMs: number;
  readonly bodyBytes: number;
}

const drainMs = 5_000;

export async function runGoLatency(binary: string, run: GoLatencyRun): Promise<GoLatency> {
  const { stdout } = await timedRun(
    binary,
    [
      "-mode",
      run.mode,
      "-address",
      run.address,
      "-subject",
      run.subject,
      "-rate",
      String(run.rate),
      "-duration",
      `${run.durationMs}ms`,
      "-body",
      String(run.bodyBytes),
      "-drain",
      `${drainMs}ms`,
    ],
    run.durationMs + drainMs + 60_000,
  );
  return GoLatencySchema.parse(JSON.parse(stdout));
}

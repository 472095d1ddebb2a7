/**
 * Unary calls of broker.proto driven by ghz: `clients` workers over as many connections, one call
 * in flight on each (the Node load generator's model), for a fixed duration. Its JSON report is
 * parsed with zod; its own CPU comes from GNU time (timed-run.ts).
 */
import { resolve } from "node:path";
import { z } from "zod";
import { timedRun } from "./timed-run.ts";

const protoFile = resolve(import.meta.dirname, "..", "..", "broker", "api", "broker.proto");

/** The part of ghz's `-O json` report the bench reads (durations in ns). */
const GhzReport = z.object({
  count: z.number().int(),
  total: z.number(),
  statusCodeDistribution: z.record(z.string(), z.number().int()).nullish(),
  errorDistribution: z.record(z.string(), z.number().int()).nullish(),
  latencyDistribution: z.array(z.object({ percentage: z.number(), latency: z.number() })).nullish(),
});

type Request = Readonly<Record<string, string | number>>;

export interface GhzRun {
  readonly call: "Publish" | "Fetch";
  readonly address: string;
  /**
   * The request's fields in proto3 JSON, or several requests that ghz sends in turn. Without
   * template functions ghz builds each request once, so its own cost per call stays small.
   */
  readonly data: Request | readonly Request[];
  readonly clients: number;
  readonly durationMs: number;
}

export interface GhzResult {
  /** Calls answered OK in the window. */
  readonly ops: number;
  /** ghz's own measure of the run, from its first call to its last answer. */
  readonly durationMs: number;
  readonly opsPerSec: number;
  /** Calls that failed, apart from those cut off when the window closed. */
  readonly errors: number;
  /** Calls still in flight when ghz closed its connections at the end of the window. */
  readonly cutAtEnd: number;
  readonly firstError?: string;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  /** ghz's own user + system CPU over the run, and per OK call. */
  readonly clientCpuMs: number;
  readonly clientCpuUsPerOp: number;
}

/** What ghz reports for calls it abandons itself when its duration is up. */
const cutOff = /use of closed network connection|the client connection is closing/;

export async function runGhz(binary: string, run: GhzRun): Promise<GhzResult> {
  const seconds = run.durationMs / 1000;
  const { stdout, cpuMs } = await timedRun(
    binary,
    [
      "--insecure",
      "--proto",
      protoFile,
      "--call",
      `broker.Broker.${run.call}`,
      "--data",
      JSON.stringify(run.data),
      "--concurrency",
      String(run.clients),
      "--connections",
      String(run.clients),
      "--duration",
      `${seconds}s`,
      "--timeout",
      "30s",
      "--format",
      "json",
      run.address,
    ],
    run.durationMs + 60_000,
  );
  return summarizeGhz(stdout, cpuMs);
}

/** ghz's JSON report and its CPU time as the bench records them; no OK call is a failure. */
export function summarizeGhz(report: string, cpuMs: number): GhzResult {
  const parsed = GhzReport.parse(JSON.parse(report));
  const ok = parsed.statusCodeDistribution?.OK ?? 0;
  const failures = Object.entries(parsed.errorDistribution ?? {});
  const real = failures.filter(([message]) => !cutOff.test(message));
  if (ok === 0)
    throw new Error(`ghz: no call answered OK (${real[0]?.[0] ?? "no error reported"})`);
  const sum = (entries: [string, number][]) => entries.reduce((total, [, n]) => total + n, 0);
  const percentile = (p: number) => {
    const latency = parsed.latencyDistribution?.find((entry) => entry.percentage === p)?.latency;
    return latency === undefined ? {} : { [`p${p}Ms`]: latency / 1e6 };
  };
  return {
    ops: ok,
    durationMs: parsed.total / 1e6,
    opsPerSec: ok / (parsed.total / 1e9),
    errors: sum(real),
    cutAtEnd: sum(failures) - sum(real),
    ...(real[0] ? { firstError: real[0][0].slice(0, 300) } : {}),
    ...percentile(50),
    ...percentile(99),
    clientCpuMs: cpuMs,
    clientCpuUsPerOp: (cpuMs * 1000) / ok,
  };
}

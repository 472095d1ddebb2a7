/**
 * The NATS peer driven by `nats bench` (natscli): `clients` connections, each publishing (or
 * getting) its share of `messages` as fast as the server answers. Its per-client CSV is parsed
 * with zod; its own CPU comes from GNU time (timed-run.ts).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { timedRun } from "./timed-run.ts";

/**
 * - `core pub`: core NATS publishes, not acknowledged (written to the connection);
 * - `js pub sync`: JetStream publishes, each waiting for the stream's ack (file storage);
 * - `js get sync`: JetStream gets of stored messages by sequence, one at a time per client.
 */
export type NatsBenchKind = "core pub" | "js pub sync" | "js get sync";

const commands: Record<NatsBenchKind, readonly string[]> = {
  "core pub": ["pub"],
  "js pub sync": ["js", "pub", "sync"],
  "js get sync": ["js", "get", "sync"],
};

export interface NatsBenchRun {
  readonly kind: NatsBenchKind;
  readonly url: string;
  readonly subject: string;
  /** The file stream that `js pub sync` creates over `subject` and `js get sync` reads. */
  readonly stream: string;
  readonly clients: number;
  /** Messages in all (`pub`), or per client (`js get sync`: each reads the stream from its start). */
  readonly messages: number;
  readonly bodyBytes: number;
  readonly timeoutMs: number;
}

export interface NatsBenchResult {
  readonly ops: number;
  readonly durationMs: number;
  readonly opsPerSec: number;
  /** `nats bench`'s own user + system CPU over the run, and per message. */
  readonly clientCpuMs: number;
  readonly clientCpuUsPerOp: number;
}

/**
 * One client's row. Its MsgCount counts protocol messages both ways (a request and its reply
 * are two), while MsgBytes is the client's operations × the body size.
 */
const CsvRow = z.object({
  MsgBytes: z.coerce.number().int().nonnegative(),
  DurationSecs: z.coerce.number().positive(),
});

/** Rows of `nats bench --csv` (a header line starting with "#RunID", then one row per client). */
export function parseNatsBenchCsv(csv: string): z.infer<typeof CsvRow>[] {
  const [header = "", ...lines] = csv.trim().split("\n");
  const columns = header.replace(/^#/, "").split(",");
  return lines.map((line) =>
    CsvRow.parse(Object.fromEntries(line.split(",").map((value, i) => [columns[i], value]))),
  );
}

export async function runNatsBench(binary: string, run: NatsBenchRun): Promise<NatsBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "herald-nats-bench-"));
  const csvFile = join(dir, "result.csv");
  const jetStream = run.kind.startsWith("js")
    ? [
        "--stream",
        run.stream,
        ...(run.kind === "js pub sync" ? ["--create", "--storage", "file"] : []),
      ]
    : [];
  try {
    const { cpuMs } = await timedRun(
      binary,
      [
        "--server",
        `nats://${run.url}`,
        "bench",
        ...commands[run.kind],
        ...(run.kind === "js get sync" ? [] : [run.subject]),
        "--clients",
        String(run.clients),
        "--msgs",
        String(run.messages),
        "--size",
        `${run.bodyBytes}B`,
        "--no-progress",
        "--csv",
        csvFile,
        ...jetStream,
      ],
      run.timeoutMs,
    );
    const rows = parseNatsBenchCsv(await readFile(csvFile, "utf8"));
    const ops = rows.reduce((sum, row) => sum + row.MsgBytes / run.bodyBytes, 0);
    if (ops === 0) throw new Error(`nats bench ${run.kind}: no operation completed`);
    // Clients start together; the slowest one's duration spans the run.
    const durationMs = Math.max(...rows.map((row) => row.DurationSecs)) * 1000;
    return {
      ops,
      durationMs,
      opsPerSec: (ops * 1000) / durationMs,
      clientCpuMs: cpuMs,
      clientCpuUsPerOp: (cpuMs * 1000) / ops,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

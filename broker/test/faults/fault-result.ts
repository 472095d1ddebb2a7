/**
 * One result row per fault case: printed on stderr in a fixed format and appended as a JSON line to
 * .herald/faults/results.jsonl, from which the fault table is gathered.
 */
import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { stateDir } from "../../../testing/paths.ts";
import type { LedgerCheck, StoredKey } from "./ledger-check.ts";

/** A memory bound, not a goal: a broker under this load stays far below it. */
const rssCeilingMiB = 512;

export interface FaultResult {
  readonly fault: string;
  readonly acked: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Per round of the fault: from its end to the first acknowledged publish after it. */
  readonly recoveriesMs: readonly number[];
  readonly peakRssMiB: number;
  /** Failure codes the load saw and repeated. */
  readonly retried: readonly string[];
  readonly abandoned: number;
  readonly wallMs: number;
  /** The first keys stored more than once, with their ids, as evidence. */
  readonly duplicates: readonly StoredKey[];
}

const resultsFile = join(stateDir, "faults", "results.jsonl");

export async function reportFault(result: FaultResult): Promise<void> {
  const recovery =
    result.recoveriesMs.length === 0 ? "none" : `${Math.max(...result.recoveriesMs)} ms`;
  const rounds =
    result.recoveriesMs.length > 1 ? ` (rounds ${result.recoveriesMs.join(", ")} ms)` : "";
  process.stderr.write(
    `fault result | ${result.fault} | acked ${result.acked} | lost ${result.lost} | duplicated ${result.duplicated} | recovery ${recovery}${rounds} | peak RSS ${result.peakRssMiB} MiB | case ${result.wallMs} ms\n`,
  );
  await mkdir(join(stateDir, "faults"), { recursive: true });
  await appendFile(resultsFile, `${JSON.stringify({ at: new Date().toISOString(), ...result })}\n`);
}

/** The assertions every case makes, after its row is reported. */
export function expectNoLossNoDuplicates(check: LedgerCheck, peakRssMiB: number): void {
  expect(check.acked).toBeGreaterThan(0);
  expect(check.lost, "acknowledged messages not stored with their body").toEqual([]);
  expect(check.duplicatedKeys, "idempotency keys stored more than once").toEqual([]);
  expect(peakRssMiB).toBeGreaterThan(0);
  expect(peakRssMiB).toBeLessThan(rssCeilingMiB);
}

/**
 * The shape of every fault case: mixed load on the brokers, the fault once the load runs, more load
 * once it ends, then the ledger check, the reported row and the assertions.
 */
import type { HeraldClientOptions } from "../../client/herald-client.ts";
import { until } from "../../../testing/until.ts";
import { checkLedger } from "./ledger-check.ts";
import { type MixedLoad, startMixedLoad } from "./mixed-load.ts";
import { expectNoLossNoDuplicates, type FaultResult, reportFault } from "./fault-result.ts";
import { sampleRss } from "./rss-sampler.ts";

export interface FaultCase {
  /** The row's name in the table. */
  readonly fault: string;
  /** Where the load publishes (round robin). */
  readonly addresses: readonly string[];
  /** Where the check reads back once the fault is over. */
  readonly checkAddress: string;
  readonly subjects: readonly string[];
  /** Broker processes to sample (they change as brokers restart). */
  readonly pids: () => readonly (number | undefined)[];
  /**
   * Injects the fault while the load runs and resolves with when each round of it ended
   * (performance.now()) and, when only some subjects suffer from it, those subjects. A round's
   * recovery is the first acknowledgement (of those subjects) after its end; the row gives the longest.
   */
  readonly inject: (load: MixedLoad) => Promise<InjectedFault>;
  /** TLS and a token, for a secure broker. */
  readonly clientOptions?: HeraldClientOptions;
  /** Acknowledgements before the fault and after it (default 300). */
  readonly ackedAround?: number;
  /** The load's bound on messages (mixed-load's default otherwise); a long fault needs more. */
  readonly maxMessages?: number;
}

export interface InjectedFault {
  readonly endedAt: readonly number[];
  readonly affected?: ReadonlySet<string>;
}

/** Each round's recovery; undefined while one has none yet. */
function recoveries(load: MixedLoad, fault: InjectedFault): number[] | undefined {
  const each = fault.endedAt.map((end) => load.recoveryMs(end, fault.affected));
  return each.every((ms) => ms !== undefined) ? each : undefined;
}

/** Resolves with the reported row, once every assertion passed. */
export async function runFaultCase(spec: FaultCase): Promise<FaultResult> {
  const started = performance.now();
  const ackedAround = spec.ackedAround ?? 300;
  const rss = sampleRss(() => spec.pids().flatMap((pid) => (pid === undefined ? [] : [pid])));
  const load = startMixedLoad({
    addresses: spec.addresses,
    subjects: spec.subjects,
    keyPrefix: spec.fault.replace(/\W+/g, "-"),
    clientOptions: spec.clientOptions,
    maxMessages: spec.maxMessages,
  });
  let injected: InjectedFault;
  try {
    await until(
      `${ackedAround} acknowledgements before the fault`,
      () => load.acked.length >= ackedAround,
      {
        timeoutMs: 20_000,
      },
    );
    injected = await spec.inject(load);
    const ackedAtEnd = load.acked.length;
    await until(
      `${ackedAround} acknowledgements after the fault`,
      () =>
        load.acked.length >= ackedAtEnd + ackedAround && recoveries(load, injected) !== undefined,
      { timeoutMs: 30_000 },
    ).catch((err: unknown) => {
      // What the clients were answered meanwhile tells a stall (no answer) from refusals.
      const codes = [...load.retriedCodes].sort().join(", ") || "none";
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}; acknowledged ${load.acked.length - ackedAtEnd} after it, retried codes: ${codes}, abandoned: ${load.abandoned}${load.exhausted ? ", the load's message bound was reached" : ""}`,
        { cause: err },
      );
    });
  } finally {
    await load.stop();
    await rss.stop();
  }
  const check = await checkLedger(spec.checkAddress, spec.subjects, load.acked, spec.clientOptions);
  const result: FaultResult = {
    fault: spec.fault,
    acked: check.acked,
    lost: check.lost.length,
    duplicated: check.duplicated,
    recoveriesMs: recoveries(load, injected) ?? [],
    peakRssMiB: rss.peakMiB,
    retried: [...load.retriedCodes].sort(),
    abandoned: load.abandoned,
    wallMs: Math.round(performance.now() - started),
    duplicates: check.duplicatedKeys.slice(0, 10),
  };
  await reportFault(result);
  expectNoLossNoDuplicates(check, rss.peakMiB);
  return result;
}

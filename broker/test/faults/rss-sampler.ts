/**
 * Peak resident memory of broker processes, read from /proc/<pid>/status (VmRSS) every 100 ms
 * while a fault case runs.
 */
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

export interface RssSampler {
  /** The highest VmRSS sampled so far, of one process, in MiB. */
  readonly peakMiB: number;
  stop(): Promise<void>;
}

async function rssKiB(pid: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  const match = text === undefined ? null : /^VmRSS:\s+(\d+) kB$/m.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Samples the processes `pids` names at each tick (they change as brokers restart). */
export function sampleRss(pids: () => readonly number[], maxSamples = 6_000): RssSampler {
  let peakKiB = 0;
  let running = true;
  const loop = (async () => {
    for (let sample = 0; running && sample < maxSamples; sample++) {
      for (const pid of pids()) peakKiB = Math.max(peakKiB, (await rssKiB(pid)) ?? 0);
      await sleep(100);
    }
  })();
  return {
    get peakMiB() {
      return Math.round(peakKiB / 1024);
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { TestEnv } from "./test-env.ts";
import { until } from "./until.ts";

type PrometheusFacts = TestEnv["prometheus"];

/** Ask the test Prometheus to scrape `target` (host:port) under job label `job`. */
export async function addScrapeTarget(
  prom: PrometheusFacts,
  job: string,
  target: string,
): Promise<void> {
  const list = [{ targets: [target], labels: { job } }];
  const file = join(prom.targetsDir, `${job}.json`);
  // Write then rename so Prometheus never reads a half-written file.
  await writeFile(`${file}.tmp`, JSON.stringify(list));
  await rename(`${file}.tmp`, file);
}

export async function removeScrapeTarget(prom: PrometheusFacts, job: string): Promise<void> {
  await rm(join(prom.targetsDir, `${job}.json`), { force: true });
}

const VectorResponse = z.object({
  status: z.literal("success"),
  data: z.object({
    resultType: z.literal("vector"),
    result: z.array(
      z.object({
        metric: z.record(z.string(), z.string()),
        value: z.tuple([z.number(), z.string()]),
      }),
    ),
  }),
});
export type PromSample = { labels: Record<string, string>; value: number };

/** Instant query through the HTTP API. */
export async function queryPrometheus(
  prom: PrometheusFacts,
  promql: string,
): Promise<PromSample[]> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = VectorResponse.parse(await res.json());
  return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

/** Poll a query until `accept` holds for its samples (scrapes run every second). */
export function waitForSamples(
  prom: PrometheusFacts,
  promql: string,
  accept: (samples: PromSample[]) => boolean,
  timeoutMs = 30_000,
): Promise<PromSample[]> {
  return until(
    `prometheus to match ${promql}`,
    async () => {
      const samples = await queryPrometheus(prom, promql);
      // Thrown rather than returned, so that a timeout quotes the last result.
      if (!accept(samples)) throw new Error(`last result ${JSON.stringify(samples)}`);
      return samples;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/**
 * The broker's metrics as the real Prometheus of the test environment scrapes
 * them: call counts and latencies per method and outcome, subscribers going up
 * and down, group-commit batch sizes and flush latency, store errors, purges.
 * Also checks that every metric the Grafana dashboard queries exists.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { collectDefaultMetrics } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import {
  addScrapeTarget,
  type PromSample,
  queryPrometheus,
  removeScrapeTarget,
  waitForSamples,
} from "../../testing/prometheus-client.ts";
import { startHttpServer } from "../../lib/process/http-server.ts";
import { MemoryStore } from "../store/memory/memory-store.ts";
import { observeGcPauses } from "../telemetry/gc-pauses.ts";
import type { MessageRecord } from "../store/message-store.ts";
import { startTestBroker, type TestBroker, uniqueSubject } from "./harness.ts";

/** A memory store whose next write can be made to fail, for the store-error metric. */
class FlakyStore extends MemoryStore {
  failNextWrite = false;
  override appendBatch(records: readonly MessageRecord[]): Promise<void> {
    if (!this.failNextWrite) return super.appendBatch(records);
    this.failNextWrite = false;
    return Promise.reject(new Error("disk on fire"));
  }
}

const { prometheus } = inject("testEnv");
const job = `herald-broker-metrics-${process.pid}-${Date.now()}`;
const dashboardPath = join(import.meta.dirname, "../../charts/herald/dashboards/broker.json");

let broker: TestBroker;
let http: Awaited<ReturnType<typeof startHttpServer>>;
const store = new FlakyStore({ maxMessagesPerSubject: 10_000 });

beforeAll(async () => {
  broker = await startTestBroker(store, { purgeIntervalMs: 200 });
  // As main.ts's registry has them (the dashboard plots memory, CPU, event-loop lag and GC pauses).
  collectDefaultMetrics({ register: broker.registry });
  observeGcPauses(broker.registry);
  http = await startHttpServer({
    address: { host: "127.0.0.1", port: 0 },
    ready: () => broker.broker.ready(),
    registry: broker.registry,
  });
  await addScrapeTarget(prometheus, job, `127.0.0.1:${http.port}`);
});

afterAll(async () => {
  await removeScrapeTarget(prometheus, job);
  await broker?.stop();
  http?.server.close();
});

const q = (expr: string, labels = "") =>
  `${expr}{job="${job}"${labels === "" ? "" : `, ${labels}`}}`;
const single = (value: number) => (samples: PromSample[]) =>
  samples.length === 1 && samples[0]?.value === value;

/** Waits until Prometheus holds exactly `value` for the series (scrapes run every second). */
const expectSeries = (expr: string, labels: string, value: number) =>
  waitForSamples(prometheus, q(expr, labels), single(value), 20_000);

describe("broker metrics through Prometheus", () => {
  it("counts calls by method and outcome, with latency quantiles and histograms", async () => {
    const client = broker.client();
    const subject = uniqueSubject("metrics");
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) ids.push(await client.publish(subject, `m${i}`));
    await expect(client.publish("", "no subject")).rejects.toMatchObject({ code: 3 });
    expect(
      await client.publishBatch([1, 2, 3, 4, 5].map((n) => ({ subject, body: `b${n}` }))),
    ).toHaveLength(5);
    for (const id of ids.slice(0, 3)) await client.fetch(subject, id);
    await expect(client.fetch(subject, 999)).rejects.toMatchObject({ code: 3 });
    await expect(client.fetch(subject, 0)).rejects.toMatchObject({ code: 3 });
    store.failNextWrite = true;
    await expect(client.publish(subject, "lost")).rejects.toMatchObject({ code: 13 });

    await expectSeries("method_count", `method="publish", success="true"`, 10);
    await expectSeries("method_count", `method="publish", success="false"`, 2);
    await expectSeries("method_count", `method="publish_batch", success="true"`, 1);
    await expectSeries("method_count", `method="fetch", success="true"`, 3);
    await expectSeries("method_count", `method="fetch", success="false"`, 2);
    await expectSeries("method_duration_seconds_count", `method="publish"`, 12);
    await expectSeries("method_duration_count", `method="fetch"`, 5);

    for (const method of ["publish", "fetch"]) {
      const quantiles = await queryPrometheus(
        prometheus,
        q("method_duration", `method="${method}"`),
      );
      expect(quantiles.map((sample) => sample.labels.quantile).sort()).toEqual([
        "0.5",
        "0.95",
        "0.99",
      ]);
      for (const sample of quantiles) expect(sample.value).toBeGreaterThan(0);
      // The 0.99 quantile of sub-second calls, aggregated from the histogram as a dashboard does.
      const [p99] = await queryPrometheus(
        prometheus,
        `histogram_quantile(0.99, sum by (le) (${q("method_duration_seconds_bucket", `method="${method}"`)}))`,
      );
      expect(p99?.value).toBeGreaterThan(0);
      expect(p99?.value).toBeLessThan(1);
    }

    // Ten single publishes (each written alone: the broker was idle), one batch of five, and
    // the failed write of one.
    await expectSeries("herald_batch_messages_count", "", 12);
    await expectSeries("herald_batch_messages_sum", "", 16);
    await expectSeries("herald_batch_messages_bucket", `le="4"`, 11);
    await expectSeries("herald_batch_write_seconds_count", `result="ok"`, 11);
    await expectSeries("herald_batch_write_seconds_count", `result="error"`, 1);
    await expectSeries("herald_messages_published_total", "", 15);
    await expectSeries("herald_batch_pending_messages", "", 0);
    await expectSeries("herald_store_errors_total", `operation="appendBatch", kind="error"`, 1);
  });

  it("tracks subscribers going up and down, and counts subscribes and refusals", async () => {
    const client = broker.client();
    const subject = uniqueSubject("subs");
    const subscriptions = [new AbortController(), new AbortController()].map((controller) => {
      let subscribed!: () => void;
      const ready = new Promise<void>((resolve) => (subscribed = resolve));
      const done = (async () => {
        for await (const message of client.subscribe(subject, {
          signal: controller.signal,
          onSubscribed: () => subscribed(),
        }))
          void message;
      })();
      return { controller, ready, done };
    });
    await Promise.all(subscriptions.map((subscription) => subscription.ready));
    const refused = client.subscribe("", {});
    await expect(refused.next()).rejects.toMatchObject({ code: 3 });

    await expectSeries("active_subscribers", "", 2);
    await expectSeries("method_count", `method="subscribe", success="true"`, 2);
    await expectSeries("method_count", `method="subscribe", success="false"`, 1);
    await expectSeries("method_duration_seconds_count", `method="subscribe"`, 3);

    subscriptions[0]?.controller.abort();
    await subscriptions[0]?.done;
    await expectSeries("active_subscribers", "", 1);
    subscriptions[1]?.controller.abort();
    await subscriptions[1]?.done;
    await expectSeries("active_subscribers", "", 0);
  });

  it("counts expired messages removed by the background purge", async () => {
    const client = broker.client();
    const subject = uniqueSubject("ttl");
    await client.publish(subject, "short-lived", { ttlSeconds: 1 });
    await client.publish(subject, "short-lived too", { ttlSeconds: 1 });
    await waitForSamples(prometheus, q("herald_messages_purged_total"), single(2), 20_000);
  });

  it("exposes every metric the broker dashboard queries", async () => {
    const Dashboard = z.object({
      panels: z.array(
        z.looseObject({ targets: z.array(z.looseObject({ expr: z.string() })).optional() }),
      ),
    });
    const dashboard = Dashboard.parse(JSON.parse(await readFile(dashboardPath, "utf8")));
    const expressions = dashboard.panels.flatMap((panel) => panel.targets ?? []).map((t) => t.expr);
    expect(expressions.length).toBeGreaterThan(5);
    const exposed = await (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text();
    // Declared metrics (# TYPE lines, also for labelled series not yet observed) and their series names.
    const names = new Set<string>();
    for (const [, name = "", type] of exposed.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      names.add(name);
      if (type === "histogram")
        for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
      if (type === "summary") for (const suffix of ["_sum", "_count"]) names.add(name + suffix);
    }
    const promqlWords = new Set([
      "by",
      "without",
      "on",
      "ignoring",
      "group_left",
      "group_right",
      "le",
      "bool",
    ]);
    for (const expr of expressions) {
      // Metric names are the identifiers before `{`; functions are followed by `(`.
      const metrics = [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)]
        .map((match) => match[1] ?? "")
        .filter((name) => !promqlWords.has(name));
      expect(metrics.length, expr).toBeGreaterThan(0);
      for (const name of metrics) expect(names.has(name), `${name} in ${expr}`).toBe(true);
    }
  });
});

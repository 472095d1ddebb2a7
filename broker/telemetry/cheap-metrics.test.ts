import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { CountingHistogram } from "./counting-histogram.ts";
import { logBuckets, quantileOf } from "./log-buckets.ts";
import { WindowedSummary } from "./windowed-summary.ts";

describe("log-linear buckets", () => {
  it("read quantiles back within 2.5% of the true value", () => {
    const buckets = logBuckets(1e-6, 30, 16);
    const counts = new Float64Array(buckets.count);
    const values = Array.from({ length: 10_000 }, (_, i) => 1e-5 * (1 + i));
    for (const value of values)
      counts[buckets.indexOf(value)] = (counts[buckets.indexOf(value)] ?? 0) + 1;
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = values[Math.ceil(q * values.length) - 1] ?? 0;
      expect(Math.abs(quantileOf(buckets, counts, values.length, q) / exact - 1)).toBeLessThan(
        0.025,
      );
    }
    expect(quantileOf(buckets, counts, 0, 0.5)).toBe(0);
  });
});

describe("the broker's own metric types", () => {
  it("expose a histogram without labels at zero before its first observation, as prom-client's does", async () => {
    const registry = new Registry();
    const histogram = new CountingHistogram({
      name: "batch_messages",
      help: "h",
      buckets: [1, 2],
      registers: [registry],
    });
    expect(await registry.metrics()).toContain("batch_messages_count 0");
    histogram.observe(2);
    histogram.reset();
    expect(await registry.metrics()).toContain('batch_messages_bucket{le="+Inf"} 0');
  });

  it("expose a summary with quantiles, sum and count per label set", async () => {
    const registry = new Registry();
    const summary = new WindowedSummary({
      name: "call_seconds",
      help: "h",
      labelNames: ["method"] as const,
      percentiles: [0.5, 0.99],
      maxAgeSeconds: 600,
      ageBuckets: 5,
      registers: [registry],
    });
    const publish = summary.child({ method: "publish" });
    for (let i = 1; i <= 100; i++) publish(i / 1000);
    summary.observe({ method: "fetch" }, 0.25);
    const text = await registry.metrics();
    expect(text).toContain("# TYPE call_seconds summary");
    expect(text).toMatch(/call_seconds\{method="publish",quantile="0.5"\} 0\.0[45]\d+/);
    expect(text).toContain('call_seconds_count{method="publish"} 100');
    expect(text).toContain('call_seconds_sum{method="fetch"} 0.25');
    expect(() => summary.labels({ method: "publish" })).toThrow(/child/);
  });

  it("expose a histogram as prom-client does, buckets cumulative", async () => {
    const registry = new Registry();
    const histogram = new CountingHistogram({
      name: "write_seconds",
      help: "h",
      labelNames: ["result"] as const,
      buckets: [0.01, 0.1],
      registers: [registry],
    });
    histogram.observe({ result: "ok" }, 0.005);
    histogram.observe({ result: "ok" }, 0.05);
    histogram.observe({ result: "ok" }, 5);
    histogram.child({ result: "error" })(0.05);
    const text = await registry.metrics();
    expect(text).toContain("# TYPE write_seconds histogram");
    expect(text).toContain('write_seconds_bucket{le="0.01",result="ok"} 1');
    expect(text).toContain('write_seconds_bucket{le="0.1",result="ok"} 2');
    expect(text).toContain('write_seconds_bucket{le="+Inf",result="ok"} 3');
    expect(text).toContain('write_seconds_count{result="error"} 1');
    const values = (await histogram.get()).values;
    expect(values).toContainEqual({
      metricName: "write_seconds_sum",
      labels: { result: "ok" },
      value: 5.055,
    });
  });
});

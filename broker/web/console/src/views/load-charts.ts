/** The load test's two charts: messages per second, and publish→deliver latency. */
import { html } from "htm/preact";
import type { VNode } from "preact";
import type uPlot from "uplot";
import type { LoadProgress } from "../schemas.ts";
import { type Series, SeriesChart } from "./series-chart.ts";

const throughputSeries: readonly Series[] = [
  { label: "published / s", color: "#2563eb" },
  { label: "delivered / s", color: "#15803d", dashed: true },
];
const latencySeries: readonly Series[] = [
  { label: "p50 ms", color: "#7c3aed" },
  { label: "p99 ms", color: "#dc2626" },
];

/** Per second: published and delivered; pure. */
export const throughputData = (seconds: readonly LoadProgress[]): uPlot.AlignedData => [
  seconds.map(({ second }) => second),
  seconds.map(({ published }) => published),
  seconds.map(({ delivered }) => delivered),
];

/** Per second: the latency's median and 99th percentile, a gap where nothing was delivered; pure. */
export const latencyData = (seconds: readonly LoadProgress[]): uPlot.AlignedData => [
  seconds.map(({ second }) => second),
  seconds.map(({ latencyMs }) => latencyMs?.p50 ?? null),
  seconds.map(({ latencyMs }) => latencyMs?.p99 ?? null),
];

export const LoadCharts = ({ seconds }: { seconds: readonly LoadProgress[] }): VNode =>
  html`<div class="charts">
    <div>
      <h3>Throughput</h3>
      <${SeriesChart}
        id="load-throughput"
        unit="messages / s"
        series=${throughputSeries}
        data=${throughputData(seconds)}
      />
    </div>
    <div>
      <h3>Latency, publish to delivery</h3>
      <${SeriesChart}
        id="load-latency"
        unit="ms"
        series=${latencySeries}
        data=${latencyData(seconds)}
      />
    </div>
  </div>`;

/** The publish rate over the last minute, one point per second, drawn by uPlot. */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

/**
 * The x values (seconds before now) and y values (messages) of `perSecond`, without the current
 * second, which is still counting; pure.
 */
export function chartData(perSecond: readonly number[]): uPlot.AlignedData {
  const whole = perSecond.slice(0, -1);
  return [whole.map((_, index) => index - whole.length), whole];
}

const options = (width: number): uPlot.Options => ({
  width,
  height: 180,
  legend: { show: false },
  cursor: { show: false },
  scales: { x: { time: false } },
  axes: [
    { label: "seconds ago", values: (_, ticks) => ticks.map((tick) => String(-tick)) },
    { label: "messages / s" },
  ],
  series: [
    {},
    {
      label: "published",
      stroke: "#2563eb",
      fill: "rgba(37, 99, 235, 0.15)",
      points: { show: false },
    },
  ],
});

export function RateChart({ perSecond }: { perSecond: readonly number[] }): VNode {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    plot.current = new uPlot(options(Math.max(element.clientWidth, 320)), [[], []], element);
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => plot.current?.setData(chartData(perSecond)), [perSecond]);
  return html`<div class="chart" ref=${container}></div>`;
}

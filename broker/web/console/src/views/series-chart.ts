/** A line chart of a few series over the seconds of a run, drawn by uPlot. */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface Series {
  readonly label: string;
  readonly color: string;
  /** Dashed, so that a series drawn over another one equal to it still shows. */
  readonly dashed?: boolean;
}

const options = (width: number, unit: string, series: readonly Series[]): uPlot.Options => ({
  width,
  height: 200,
  cursor: { show: false },
  // Without a cursor the legend names the series only.
  legend: { live: false },
  scales: { x: { time: false } },
  axes: [{ label: "second of the run" }, { label: unit }],
  series: [
    {},
    ...series.map(({ label, color, dashed }) => ({
      label,
      stroke: color,
      width: 2,
      spanGaps: false,
      ...(dashed === true ? { dash: [6, 4] } : {}),
    })),
  ],
});

export function SeriesChart(props: {
  id: string;
  unit: string;
  series: readonly Series[];
  data: uPlot.AlignedData;
}): VNode {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { unit, series, data } = props;
  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    const width = Math.max(element.clientWidth, 280);
    plot.current = new uPlot(options(width, unit, series), [[], ...series.map(() => [])], element);
    return () => plot.current?.destroy();
  }, [unit, series]);
  useEffect(() => plot.current?.setData(data), [data]);
  return html`<div class="chart" id=${props.id} ref=${container}></div>`;
}

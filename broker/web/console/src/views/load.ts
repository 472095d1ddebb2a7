/**
 * A bounded load test run by the broker (POST /v1/load): it publishes to a subject at a rate for a
 * time and subscribes to it, timing each message from publish to delivery; the gateway caps the
 * rate, body size and duration, and the token needs `publish` and `subscribe` on the subject.
 */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { getJson } from "../api.ts";
import { type LoadSettings, startLoad } from "../load-run.ts";
import { LoadLimitsBody, type LoadProgress, type LoadSummary } from "../schemas.ts";
import { usePoll } from "../poll.ts";
import { ErrorBanner, formatRate, Loading } from "./common.ts";
import { LoadCharts } from "./load-charts.ts";

type Status = "ready" | "starting" | "running" | "done" | "stopped" | "failed";

/** The run's outcome in a line; pure. */
export const describeSummary = (summary: LoadSummary): string => {
  const latency = summary.latencyMs;
  return (
    `published ${summary.published} in ${summary.seconds} s (${formatRate(summary.publishedPerSecond)} / s), ` +
    `delivered ${summary.delivered} (${formatRate(summary.deliveredPerSecond)} / s)` +
    (latency === null
      ? ""
      : `; latency p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms`)
  );
};

const numberField = (
  name: keyof LoadSettings,
  label: string,
  min: number,
  max: number,
  settings: Record<keyof LoadSettings, string>,
  set: (name: keyof LoadSettings, value: string) => void,
) =>
  html`<label
    >${label} <span class="muted small">max ${max}</span>
    <input
      name=${name}
      type="number"
      required
      min=${min}
      max=${max}
      value=${settings[name]}
      onInput=${(event: Event) => set(name, (event.currentTarget as HTMLInputElement).value)}
  /></label>`;

function LoadForm({
  token,
  subject,
  limits,
}: {
  token: string;
  subject: string;
  limits: LoadLimitsBody;
}): VNode {
  const [settings, setSettings] = useState({
    subject: subject === "" ? "load.console" : subject,
    ratePerSecond: String(Math.min(100, limits.maxRatePerSecond)),
    bodyBytes: String(Math.min(256, limits.maxBodyBytes)),
    durationSeconds: String(Math.min(10, limits.maxDurationSeconds)),
  });
  const [status, setStatus] = useState<Status>("ready");
  const [seconds, setSeconds] = useState<LoadProgress[]>([]);
  const [summary, setSummary] = useState<LoadSummary | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const stop = useRef<() => void>(() => undefined);
  useEffect(() => () => stop.current(), []);
  const set = (name: keyof LoadSettings, value: string) =>
    setSettings({ ...settings, [name]: value });

  const run = (event: Event) => {
    event.preventDefault();
    setSeconds([]);
    setSummary(undefined);
    setError(undefined);
    setStatus("starting");
    const { subject: chosen, ratePerSecond, bodyBytes, durationSeconds } = settings;
    const request = {
      subject: chosen,
      ratePerSecond: Number(ratePerSecond),
      bodyBytes: Number(bodyBytes),
      durationSeconds: Number(durationSeconds),
    };
    stop.current = startLoad(request, token, {
      onStarted: () => setStatus("running"),
      onProgress: (progress) => setSeconds((previous) => [...previous, progress]),
      onEnd: (outcome) => {
        if ("summary" in outcome) {
          setSummary(outcome.summary);
          setStatus("done");
        } else {
          setError(outcome.error);
          setStatus("failed");
        }
      },
    });
  };
  const halt = () => {
    stop.current();
    setStatus("stopped");
  };
  const active = status === "starting" || status === "running";
  const last = seconds.at(-1);

  return html`<form class="inline" id="load" onSubmit=${run}>
      <label
        >Subject
        <input
          name="subject"
          required
          value=${settings.subject}
          onInput=${(event: Event) => set("subject", (event.currentTarget as HTMLInputElement).value)}
      /></label>
      ${numberField("ratePerSecond", "Messages / s", 1, limits.maxRatePerSecond, settings, set)}
      ${numberField("bodyBytes", "Body (bytes)", 8, limits.maxBodyBytes, settings, set)}
      ${numberField("durationSeconds", "Duration (s)", 1, limits.maxDurationSeconds, settings, set)}
      <button type="submit" disabled=${active}>Run</button>
      <button type="button" id="load-stop" disabled=${!active} onClick=${halt}>Stop</button>
    </form>
    <p class="facts">
      <span class="badge" id="load-status" data-status=${status}>${status}</span>
      ${
        last === undefined
          ? null
          : html`<span>second <strong>${last.second}</strong></span>
              <span>published <strong>${last.publishedTotal}</strong></span>
              <span>delivered <strong>${last.deliveredTotal}</strong></span>`
      }
    </p>
    ${
      summary === undefined
        ? null
        : html`<p class="ok" id="load-summary" role="status">${describeSummary(summary)}</p>`
    }
    <${ErrorBanner} error=${error} />
    <${LoadCharts} seconds=${seconds} />`;
}

export function Load({ token, subject }: { token: string; subject: string }): VNode {
  const load = useCallback(() => getJson("/v1/load/limits", LoadLimitsBody, token), [token]);
  // The maxima do not change while the broker runs: read once, not polled.
  const { data: limits, error } = usePoll(load, 3_600_000);
  return html`<section>
    <h2>Load test</h2>
    <p class="muted">
      The broker publishes to the subject at the rate for the duration and subscribes to it, timing
      each message from publish to delivery. The token needs <code>publish</code> and${" "}
      <code>subscribe</code> on the subject; the gateway caps the rate, the body and the duration,
      and runs one test at a time.
    </p>
    <${ErrorBanner} error=${error} />
    ${
      limits === undefined
        ? error === undefined
          ? html`<${Loading} />`
          : null
        : html`<${LoadForm} token=${token} subject=${subject} limits=${limits} />`
    }
  </section>`;
}

/**
 * A load test run by the broker: POST /v1/load read as an event stream (event-stream.ts). Each
 * `progress` event is one second; `done` ends it with the summary, `error` with the refusal that
 * stopped it. Stopping aborts the request, which stops the run on the broker.
 */
import { ErrorBody, LoadProgress, LoadSummary } from "./schemas.ts";
import { openEventStream } from "./event-stream.ts";
import { authorization } from "./session.ts";

export interface LoadSettings {
  readonly subject: string;
  readonly ratePerSecond: number;
  readonly bodyBytes: number;
  readonly durationSeconds: number;
}

export interface LoadListener {
  readonly onStarted: () => void;
  readonly onProgress: (progress: LoadProgress) => void;
  /** Once: the summary, or why the run did not start or stopped. */
  readonly onEnd: (outcome: { summary: LoadSummary } | { error: unknown }) => void;
}

export function startLoad(settings: LoadSettings, token: string, listener: LoadListener) {
  let ended = false;
  const end = (outcome: { summary: LoadSummary } | { error: unknown }) => {
    if (ended) return;
    ended = true;
    listener.onEnd(outcome);
  };
  const init = {
    method: "POST",
    headers: { ...authorization(token), "content-type": "application/json" },
    body: JSON.stringify(settings),
  };
  return openEventStream("/v1/load", init, {
    onOpen: listener.onStarted,
    onEvent: ({ event, data }) => {
      const json: unknown = JSON.parse(data);
      if (event === "progress") listener.onProgress(LoadProgress.parse(json));
      else if (event === "done") end({ summary: LoadSummary.parse(json) });
      else if (event === "error") {
        const { code, message } = ErrorBody.parse(json);
        end({ error: new Error(`the run stopped: ${code}: ${message}`) });
      }
    },
    onEnd: (error) => end({ error: error ?? new Error("the run ended without a summary") }),
  });
}

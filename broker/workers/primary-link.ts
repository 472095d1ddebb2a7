/**
 * A worker's side of the process channel to its primary: it reports its status on every change,
 * and drains when the primary is gone, so a killed primary leaves no worker holding the pod's ports.
 */
import type { Broker } from "../broker.ts";
import type { WorkerStatus } from "./worker-status.ts";

/** How often a worker compares its status with the one last reported. */
const reportIntervalMs = 200;

export interface PrimaryChannel {
  readonly connected: boolean;
  send(message: WorkerStatus): void;
  once(event: "disconnect", listener: () => void): void;
}

export function linkToPrimary(
  index: number,
  broker: Pick<Broker, "notReadyReason" | "cluster">,
  channel: PrimaryChannel,
  onPrimaryGone: () => void,
): { stop(): void } {
  let last = "";
  const report = () => {
    const snapshot = broker.cluster();
    const status: WorkerStatus = {
      kind: "herald-worker-status",
      index,
      notReadyReason: broker.notReadyReason(),
      cluster: { ...snapshot, members: [...snapshot.members] },
    };
    const text = JSON.stringify(status);
    if (text === last || !channel.connected) return;
    last = text;
    channel.send(status);
  };
  report();
  const timer = setInterval(report, reportIntervalMs);
  channel.once("disconnect", () => {
    clearInterval(timer);
    onPrimaryGone();
  });
  return { stop: () => clearInterval(timer) };
}

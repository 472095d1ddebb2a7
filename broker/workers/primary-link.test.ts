import { afterEach, describe, expect, it, vi } from "vitest";
import { linkToPrimary, type PrimaryChannel } from "./primary-link.ts";
import type { WorkerStatus } from "./worker-status.ts";

function fakeChannel() {
  const sent: WorkerStatus[] = [];
  let onDisconnect: (() => void) | undefined;
  const channel: PrimaryChannel & { connected: boolean } = {
    connected: true,
    send: (message) => sent.push(message),
    once: (_event, listener) => {
      onDisconnect = listener;
    },
  };
  return { channel, sent, disconnect: () => onDisconnect?.() };
}

afterEach(() => vi.useRealTimers());

describe("a worker's link to its primary", () => {
  it("reports its status at once and again only when it changes", () => {
    vi.useFakeTimers();
    let reason: string | undefined = "no cluster membership adopted yet";
    const broker = {
      notReadyReason: () => reason,
      cluster: () => ({ epoch: reason === undefined ? 1 : -1, self: "pod~0", members: [] }),
    };
    const { channel, sent } = fakeChannel();
    const link = linkToPrimary(0, broker, channel, () => undefined);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
    reason = undefined;
    vi.advanceTimersByTime(1000);
    expect(sent.map((status) => status.notReadyReason)).toEqual([
      "no cluster membership adopted yet",
      undefined,
    ]);
    link.stop();
  });

  it("drains when the primary is gone, and sends nothing more", () => {
    vi.useFakeTimers();
    const state: { reason?: string } = {};
    const broker = {
      notReadyReason: () => state.reason,
      cluster: () => ({ epoch: 1, self: "pod~0", members: [] }),
    };
    const { channel, sent, disconnect } = fakeChannel();
    const drained = vi.fn();
    linkToPrimary(0, broker, channel, drained);
    channel.connected = false;
    disconnect();
    state.reason = "draining";
    vi.advanceTimersByTime(1000);
    expect(drained).toHaveBeenCalledOnce();
    expect(sent).toHaveLength(1);
  });
});

import { expect, test } from "vitest";
import { parsePods, readyReplacement } from "./pods.ts";

const pod = (name: string, ready: boolean, deleting = false) => ({
  metadata: { name, ...(deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
  status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});

test("kubectl's pod list becomes name, readiness and whether it is going away", () => {
  const json = JSON.stringify({
    kind: "List",
    items: [pod("op-a", true), pod("op-b", false, true), { metadata: { name: "op-c" } }],
  });
  expect(parsePods(json)).toEqual([
    { name: "op-a", terminating: false, ready: true },
    { name: "op-b", terminating: true, ready: false },
    { name: "op-c", terminating: false, ready: false },
  ]);
});

test("the replacement is a Ready pod that is neither killed nor terminating", () => {
  const pods = (...items: ReturnType<typeof pod>[]) => parsePods(JSON.stringify({ items }));
  // Force-deleted, but still listed for a moment: not a replacement.
  expect(readyReplacement(pods(pod("op-a", true)), ["op-a"])).toBeUndefined();
  expect(readyReplacement(pods(pod("op-a", true), pod("op-b", false)), ["op-a"])).toBeUndefined();
  expect(readyReplacement(pods(pod("op-b", true, true)), ["op-a"])).toBeUndefined();
  expect(readyReplacement(pods(pod("op-a", true), pod("op-b", true)), ["op-a"])).toBe("op-b");
});

test("a list that is not a pod list is refused", () => {
  expect(() => parsePods(JSON.stringify({ items: [{ status: {} }] }))).toThrow();
});

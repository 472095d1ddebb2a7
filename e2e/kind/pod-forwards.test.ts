import { expect, test } from "vitest";
import type { Forward } from "./port-forward.ts";
import { PodForwards } from "./pod-forwards.ts";

/** Fake forwards on ports 1, 2, …, and a pod uid the test changes as a replacement would. */
function fakes() {
  const state = { uid: "uid-1", started: [] as (Forward & { exit(): void; stopped: boolean })[] };
  const forwards = new PodForwards({
    podUid: () => Promise.resolve(state.uid),
    start: async () => {
      await Promise.resolve();
      let exited = false;
      const forward = {
        port: state.started.length + 1,
        stopped: false,
        alive: () => !exited,
        exit: () => (exited = true),
        stop() {
          this.stopped = true;
          exited = true;
        },
      };
      state.started.push(forward);
      return forward;
    },
  });
  return { state, forwards };
}

test("one forward serves a pod while its process runs and the pod is the same", async () => {
  const { state, forwards } = fakes();
  expect(await forwards.port("orders-0")).toBe(1);
  expect(await forwards.port("orders-0")).toBe(1);
  expect(state.started).toHaveLength(1);
});

test("a pod's concurrent lookups share one forward", async () => {
  const { state, forwards } = fakes();
  const ports = await Promise.all([1, 2, 3].map(() => forwards.port("orders-0")));
  expect(ports).toEqual([1, 1, 1]);
  expect(state.started).toHaveLength(1);
});

test("a forward whose kubectl exited is started again", async () => {
  const { state, forwards } = fakes();
  await forwards.port("orders-0");
  state.started[0]?.exit();
  expect(await forwards.port("orders-0")).toBe(2);
});

test("a pod replaced under the same name gets a new forward and the old one is stopped", async () => {
  const { state, forwards } = fakes();
  await forwards.port("orders-0");
  state.uid = "uid-2";
  expect(await forwards.port("orders-0")).toBe(2);
  expect(state.started[0]?.stopped).toBe(true);
});

test("a pod that does not exist yet fails its lookup, and a later lookup succeeds", async () => {
  let exists = false;
  const lookups = new PodForwards({
    podUid: () => (exists ? Promise.resolve("u") : Promise.reject(new Error("NotFound"))),
    start: () => Promise.resolve({ port: 9, alive: () => true, stop: () => undefined }),
  });
  await expect(lookups.port("orders-1")).rejects.toThrow("NotFound");
  exists = true;
  expect(await lookups.port("orders-1")).toBe(9);
});

test("stopAll stops every forward, and one still starting is stopped when it arrives", async () => {
  const { state, forwards } = fakes();
  await forwards.port("orders-0");
  const late = forwards.port("orders-1");
  forwards.stopAll();
  await expect(late).rejects.toThrow(/stopped/);
  expect(state.started.map((forward) => forward.stopped)).toEqual([true, true]);
});

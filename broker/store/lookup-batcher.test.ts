import { describe, expect, it } from "vitest";
import { LookupBatcher } from "./lookup-batcher.ts";

describe("LookupBatcher", () => {
  it("answers lookups that arrive together in one query, and those during it in the next", async () => {
    const queries: string[][] = [];
    let release: () => void = () => undefined;
    const batcher = new LookupBatcher<string, number>(async (requests) => {
      queries.push([...requests]);
      if (queries.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return requests.map((r) => (r === "none" ? undefined : r.length));
    }, 100);
    const first = ["a", "bb"].map((request) => batcher.lookup(request));
    await Promise.resolve();
    await Promise.resolve();
    const during = ["ccc", "none", "dddd"].map((request) => batcher.lookup(request));
    release();
    expect(await Promise.all([...first, ...during])).toEqual([1, 2, 3, undefined, 4]);
    expect(queries).toEqual([
      ["a", "bb"],
      ["ccc", "none", "dddd"],
    ]);
  });

  it("splits a queue longer than the largest batch, and fails only the batch whose query failed", async () => {
    const batcher = new LookupBatcher<number, number>(
      (requests) =>
        requests.includes(3)
          ? Promise.reject(new Error("store down"))
          : Promise.resolve(requests.map((r) => r * 10)),
      2,
    );
    const answers = await Promise.allSettled(
      [1, 2, 3, 4].map((request) => batcher.lookup(request)),
    );
    expect(answers.map((a) => (a.status === "fulfilled" ? a.value : "failed"))).toEqual([
      10,
      20,
      "failed",
      "failed",
    ]);
  });
});

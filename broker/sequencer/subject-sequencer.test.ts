import { describe, expect, it } from "vitest";
import { IdSpaceExhaustedError } from "../errors.ts";
import { maxMessageId, SubjectSequencer } from "./subject-sequencer.ts";

describe("SubjectSequencer", () => {
  it("continues after the store's last id, per subject", async () => {
    const sequencer = new SubjectSequencer((subject) => Promise.resolve(subject === "a" ? 41 : 0));
    await sequencer.ensureLoaded("a");
    await sequencer.ensureLoaded("b");
    expect(sequencer.assign("a", 1)).toBe(42);
    expect(sequencer.assign("a", 3)).toBe(43);
    expect(sequencer.assign("a", 1)).toBe(46);
    expect(sequencer.assign("b", 1)).toBe(1);
  });

  it("loads a subject once for concurrent callers and retries after a failed load", async () => {
    let loads = 0;
    const sequencer = new SubjectSequencer(() => {
      loads += 1;
      return loads === 1 ? Promise.reject(new Error("store down")) : Promise.resolve(7);
    });
    await expect(sequencer.ensureLoaded("s")).rejects.toThrow("store down");
    await Promise.all([sequencer.ensureLoaded("s"), sequencer.ensureLoaded("s")]);
    expect(loads).toBe(2);
    await sequencer.ensureLoaded("s");
    expect(loads).toBe(2);
    expect(sequencer.assign("s", 1)).toBe(8);
  });

  it("starts above a handed-off id when it is higher than the store's", async () => {
    const sequencer = new SubjectSequencer(() => Promise.resolve(10));
    await sequencer.ensureLoaded("s", 25);
    expect(sequencer.assign("s", 1)).toBe(26);
  });

  it("refuses to assign before loading and past the int32 ceiling", async () => {
    const sequencer = new SubjectSequencer(() => Promise.resolve(maxMessageId - 1));
    expect(() => sequencer.assign("s", 1)).toThrow(/not loaded/);
    await sequencer.ensureLoaded("s");
    expect(sequencer.assign("s", 1)).toBe(maxMessageId);
    expect(() => sequencer.assign("s", 1)).toThrow(IdSpaceExhaustedError);
  });
});

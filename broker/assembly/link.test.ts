import { describe, expect, it } from "vitest";
import { link } from "./link.ts";

describe("link", () => {
  it("calls the target connected later, and refuses a call before or a second target", () => {
    const double = link<[value: number], number>("double");
    expect(() => double.call(1)).toThrow("double was called before it was connected");
    double.connect((value) => value * 2);
    expect(double.call(21)).toBe(42);
    expect(() => double.connect((value) => value)).toThrow("double is already connected");
  });
});

import { describe, expect, it } from "vitest";
import { compilePattern, isPattern, matchesPattern, patternProblem } from "./subjects.ts";

describe("subject patterns", () => {
  it.each([
    // pattern, subject, matches
    ["orders", "orders", true],
    ["orders", "orders.eu", false],
    ["orders.*", "orders.eu", true],
    ["orders.*", "orders", false],
    ["orders.*", "orders.eu.paid", false],
    ["*.eu", "orders.eu", true],
    ["*.eu", "orders.us", false],
    ["orders.*.paid", "orders.eu.paid", true],
    ["orders.*.paid", "orders.eu.due", false],
    ["*", "orders", true],
    ["*", "orders.eu", false],
    ["orders.>", "orders.eu", true],
    ["orders.>", "orders.eu.paid", true],
    ["orders.>", "orders", false],
    ["orders.*.>", "orders.eu.paid", true],
    ["orders.*.>", "orders.eu", false],
    [">", "orders", true],
    [">", "orders.eu.paid", true],
    ["*.>", "orders", false],
    ["*.*", "orders.eu", true],
    ["orders.eu", "orders.eux", false],
  ])("%s matching %s is %s", (pattern, subject, expected) => {
    expect(matchesPattern(pattern, subject)).toBe(expected);
    expect(compilePattern(pattern)(subject)).toBe(expected);
  });

  it.each([
    ["orders..eu", "empty token"],
    [".orders", "empty token"],
    ["orders.", "empty token"],
    ["orders.>.eu", '">" may only be the last token'],
    ["orders.>.>", '">" may only be the last token'],
    ["orders.e*", 'must be whole tokens, got "e*"'],
    ["orders.>x", 'must be whole tokens, got ">x"'],
  ])("%s is refused: %s", (pattern, problem) => {
    expect(patternProblem(pattern)).toContain(problem);
    expect(() => compilePattern(pattern)).toThrow(problem);
  });

  it("tells patterns from plain subjects", () => {
    expect(isPattern("orders.*")).toBe(true);
    expect(isPattern("orders.>")).toBe(true);
    expect(isPattern("orders.eu")).toBe(false);
    expect(isPattern("orders.e*")).toBe(false);
    expect(patternProblem("orders.eu")).toBeUndefined();
  });
});

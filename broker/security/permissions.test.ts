import { describe, expect, it } from "vitest";
import { permissionsSchema } from "../../contract/auth-file.ts";
import { compilePermissions, covers, overlaps } from "./permissions.ts";

const permissions = (input: Parameters<typeof permissionsSchema.parse>[0]) =>
  compilePermissions(permissionsSchema.parse(input));

describe("permissions", () => {
  it("keeps the verbs apart", () => {
    const granted = permissions({ publish: ["orders.>"], fetch: ["orders.eu"] });
    expect(granted.allows("publish", "orders.eu")).toBe(true);
    expect(granted.allows("fetch", "orders.eu")).toBe(true);
    expect(granted.allows("fetch", "orders.us")).toBe(false);
    expect(granted.allows("subscribe", "orders.eu")).toBe(false);
    expect(granted.allows("consume", "orders.eu")).toBe(false);
  });

  it.each([
    // allow, subject, allowed
    ["orders.*", "orders.eu", true],
    ["orders.*", "orders.eu.paid", false],
    ["orders.*", "orders", false],
    ["orders.>", "orders.eu.paid", true],
    ["orders.>", "orders", false],
    ["*.eu", "orders.eu", true],
    ["*.eu.>", "orders.eu", false],
    ["*.eu.>", "orders.eu.paid.late", true],
    ["orders.*.paid", "orders.eu.paid", true],
    [">", "anything.at.all", true],
    ["*", "orders", true],
    ["*", "orders.eu", false],
  ])("%s allows %s: %s", (allow, subject, allowed) => {
    expect(permissions({ publish: [allow] }).allows("publish", subject)).toBe(allowed);
  });

  it("lets deny win over allow", () => {
    const granted = permissions({
      publish: [">"],
      deny: { publish: ["orders.secret.>", "*.internal"] },
    });
    expect(granted.allows("publish", "orders.eu")).toBe(true);
    expect(granted.allows("publish", "orders.secret.plans")).toBe(false);
    expect(granted.allows("publish", "billing.internal")).toBe(false);
    expect(granted.allows("publish", "orders.secret")).toBe(true);
  });

  it("allows a pattern only when the allow rules cover it and no deny rule touches it", () => {
    const granted = permissions({
      subscribe: ["orders.>"],
      deny: { subscribe: ["orders.secret.*"] },
    });
    expect(granted.allows("subscribe", "orders.*")).toBe(true);
    expect(granted.allows("subscribe", "orders.eu.>")).toBe(true);
    expect(granted.allows("subscribe", "*.eu")).toBe(false);
    expect(granted.allows("subscribe", ">")).toBe(false);
    // orders.> includes orders.secret.x, which is denied
    expect(granted.allows("subscribe", "orders.>")).toBe(false);
    expect(granted.allows("subscribe", "orders.secret.*")).toBe(false);
  });

  it("refuses invalid patterns and unknown keys", () => {
    expect(permissionsSchema.safeParse({ publish: ["orders.>.eu"] }).success).toBe(false);
    expect(permissionsSchema.safeParse({ publish: ["orders.e*"] }).success).toBe(false);
    expect(permissionsSchema.safeParse({ publsh: ["orders"] }).success).toBe(false);
  });
});

describe("covers and overlaps", () => {
  it.each([
    ["orders.>", "orders.*", true],
    ["orders.*", "orders.>", false],
    ["orders.*", "orders.*", true],
    ["orders.*", "orders.eu", true],
    ["orders.eu", "orders.*", false],
    [">", "*", true],
    ["*", ">", false],
    ["*.*", "orders.*", true],
    ["orders.>", "orders", false],
  ])("%s covers %s: %s", (by, pattern, expected) => {
    expect(covers(by, pattern)).toBe(expected);
  });

  it.each([
    ["orders.>", "*.eu", true],
    ["orders.*", "orders.eu.paid", false],
    ["orders.>", "orders", false],
    ["*.eu", "orders.*", true],
    ["a.b", "a.c", false],
    [">", "x", true],
  ])("%s overlaps %s: %s", (first, second, expected) => {
    expect(overlaps(first, second)).toBe(expected);
    expect(overlaps(second, first)).toBe(expected);
  });
});

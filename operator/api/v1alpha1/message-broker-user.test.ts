import { describe, expect, it } from "vitest";
import { permissionsSchema, type PermissionsSpec } from "../../../contract/auth-file.ts";
import { patternProblem } from "../../../contract/subjects.ts";
import { subjectPatternRegex, userPermissionsSchema } from "./message-broker-user.ts";

const patterns = [
  "orders",
  "orders.eu",
  "orders.*",
  "orders.>",
  "*",
  ">",
  "*.>",
  "a.*.b",
  "orders-eu_1.paid",
  "orders..eu",
  ".orders",
  "orders.",
  "orders.>.eu",
  ">.orders",
  "orders*",
  "or>ders",
  "orders.**",
  "",
];

describe("the MessageBrokerUser's permissions", () => {
  it.each(patterns)("agree with the broker's pattern check on %j", (pattern) => {
    expect(subjectPatternRegex.test(pattern)).toBe(patternProblem(pattern) === undefined);
  });

  it("parse to what the auth file's permissions parse to, defaults included", () => {
    const input = { publish: ["orders.>"], deny: { publish: ["orders.secret"] } };
    const mirrored: PermissionsSpec = userPermissionsSchema.parse(input);
    expect(mirrored).toEqual(permissionsSchema.parse(input));
    expect(userPermissionsSchema.parse({})).toEqual(permissionsSchema.parse({}));
  });

  it("refuse a key the auth file does not know", () => {
    expect(userPermissionsSchema.safeParse({ publsh: ["a"] }).success).toBe(false);
    expect(permissionsSchema.safeParse({ publsh: ["a"] }).success).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { crdSchemaOf as openApi } from "./structural.ts";

describe("crdSchemaOf", () => {
  it("drops additionalProperties: false beside properties", () => {
    expect(openApi(z.strictObject({ a: z.string() }))).toEqual({
      type: "object",
      properties: { a: { type: "string" } },
      required: ["a"],
    });
  });

  it("turns an integer-or-string union into x-kubernetes-int-or-string, keeping the string pattern", () => {
    expect(openApi(z.union([z.int(), z.string().regex(/^[0-9]+m$/)]))).toEqual({
      anyOf: [{ type: "integer" }, { type: "string" }],
      pattern: "^[0-9]+m$",
      "x-kubernetes-int-or-string": true,
    });
  });

  it("keeps only the integer bounds the schema chose", () => {
    expect(openApi(z.int32().min(0))).toEqual({ type: "integer", minimum: 0 });
    expect(openApi(z.int())).toEqual({ type: "integer" });
  });

  it("leaves preserved-unknown objects open", () => {
    const open = z
      .record(z.string(), z.unknown())
      .meta({ "x-kubernetes-preserve-unknown-fields": true });
    expect(openApi(open)).toEqual({ type: "object", "x-kubernetes-preserve-unknown-fields": true });
  });

  it("drops zod's date-time regex, which the format already checks", () => {
    expect(openApi(z.iso.datetime())).toEqual({ type: "string", format: "date-time" });
  });

  it.each([
    [
      "a union of two objects",
      z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]),
      "only integer-or-string",
    ],
    ["a tuple", z.tuple([z.string(), z.int()]), "tuple"],
    ["a string with two patterns", z.string().regex(/a/).regex(/b/), "allOf"],
    [
      "a map of untyped values",
      z.record(z.string(), z.unknown()),
      "x-kubernetes-preserve-unknown-fields",
    ],
  ])("refuses %s", (_name, schema, reason) => {
    expect(() => openApi(schema)).toThrow(reason);
  });
});
